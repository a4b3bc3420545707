//! Camera bytes to our 16-bit pixels. GenICam sends little-endian containers; GigE Vision's
//! `Mono12Packed` puts two pixels in three bytes (high bits whole, low nibbles shared).

use super::settings::PixelFormat;

/// Fill `out` (one value per pixel) from the camera's bytes; `false` when the bytes are too
/// few for that many pixels, so a short buffer is never taken for an image.
pub fn unpack(format: PixelFormat, bytes: &[u8], out: &mut [u16]) -> bool {
    if bytes.len() < format.frame_bytes(out.len()) {
        return false;
    }
    match format {
        PixelFormat::Mono8 => {
            for (o, b) in out.iter_mut().zip(bytes) {
                *o = u16::from(*b);
            }
        }
        PixelFormat::Mono12 | PixelFormat::Mono16 => {
            let mask = if format == PixelFormat::Mono12 {
                0x0fff
            } else {
                0xffff
            };
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = u16::from_le_bytes([b[0], b[1]]) & mask;
            }
        }
        PixelFormat::Mono12Packed => {
            for (pair, b) in out.chunks_mut(2).zip(bytes.chunks_exact(3)) {
                pair[0] = (u16::from(b[0]) << 4) | u16::from(b[1] & 0x0f);
                if let Some(second) = pair.get_mut(1) {
                    *second = (u16::from(b[2]) << 4) | u16::from(b[1] >> 4);
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_unpacks_and_short_buffers_are_refused() {
        let mut out = [0u16; 3];
        assert!(unpack(PixelFormat::Mono8, &[1, 2, 255], &mut out));
        assert_eq!(out, [1, 2, 255]);
        assert!(unpack(
            PixelFormat::Mono16,
            &[0x34, 0x12, 0xff, 0xff, 0, 1],
            &mut out
        ));
        assert_eq!(out, [0x1234, 0xffff, 0x100]);
        assert!(unpack(
            PixelFormat::Mono12,
            &[0xff, 0xff, 0x23, 0x01, 0, 0],
            &mut out
        ));
        assert_eq!(out, [0x0fff, 0x0123, 0]);
        // 0xABC and 0x123, then 0xFED alone: high bytes whole, low nibbles in the middle byte.
        assert!(unpack(
            PixelFormat::Mono12Packed,
            &[0xab, 0x3c, 0x12, 0xfe, 0x0d, 0x00],
            &mut out
        ));
        assert_eq!(out, [0xabc, 0x123, 0xfed]);
        assert!(!unpack(PixelFormat::Mono16, &[0; 5], &mut out));
        assert!(!unpack(PixelFormat::Mono12Packed, &[0; 5], &mut out));
    }
}
