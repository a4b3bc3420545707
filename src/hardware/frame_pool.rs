//! Pixel buffers handed back by the savers once a frame is on disk, for the camera's next
//! frame. A fresh 8 MB buffer per 2048² frame costs thousands of page faults and the kernel
//! zeroing each page — as much CPU as writing it out — while a saver keeps a fast disk busy.

use std::sync::Mutex;

/// Enough for the camera to never wait on the allocator, small next to the saver queue.
const MAX_SPARE: usize = 4;

static SPARE: Mutex<Vec<Vec<u16>>> = Mutex::new(Vec::new());

/// A buffer for a frame of `len` pixels; with a recycled one of that size its contents are
/// the previous frame's, so the caller must write every pixel.
pub fn take(len: usize) -> Vec<u16> {
    let spare = SPARE.lock().ok().and_then(|mut s| {
        let i = s.iter().position(|b| b.len() == len)?;
        Some(s.swap_remove(i))
    });
    spare.unwrap_or_else(|| vec![0; len])
}

/// Offer a buffer whose frame is saved; dropped when enough are waiting.
pub fn give_back(buf: Vec<u16>) {
    if buf.is_empty() {
        return;
    }
    if let Ok(mut s) = SPARE.lock() {
        if s.len() < MAX_SPARE {
            s.push(buf);
        } else {
            // Prefer the newest size: after an ROI or binning change the old ones are useless.
            s.remove(0);
            s.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_by_size_and_the_pool_stays_small() {
        let len = 12_345;
        let mut b = take(len);
        assert_eq!(b.len(), len);
        b[7] = 99;
        let p = b.as_ptr();
        give_back(b);
        let again = take(len);
        // Another test may take it first; when it is ours, it is the same memory.
        if again.as_ptr() == p {
            assert_eq!(again[7], 99);
        }
        assert_eq!(take(3).len(), 3);
        for _ in 0..10 {
            give_back(vec![1; 5]);
        }
        assert!(SPARE.lock().map(|s| s.len()).unwrap_or(0) <= MAX_SPARE);
    }
}
