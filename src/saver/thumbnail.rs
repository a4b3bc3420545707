//! Small previews of 16-bit frames for people and robots: box-averaged to at most 256
//! pixels a side, the 0.5th to 99.5th percentile stretched to 8-bit grey, as PNG.

/// The longest side of a thumbnail, in pixels.
const THUMB: usize = 256;

/// A `w`×`h` frame as a thumbnail PNG.
pub fn png(px: &[u16], w: usize, h: usize) -> Result<Vec<u8>, String> {
    if w == 0 || h == 0 || px.len() != w * h {
        return Err(format!("{} pixels do not make a {w}×{h} image", px.len()));
    }
    let (g, tw, th) = stretch(px, w, h);
    encode(&g, tw, th)
}

/// Box-average down to the thumbnail's size, then map the 0.5th–99.5th percentile to 0–255.
fn stretch(px: &[u16], w: usize, h: usize) -> (Vec<u8>, usize, usize) {
    let k = w.max(h).div_ceil(THUMB).max(1);
    let (tw, th) = (w.div_ceil(k), h.div_ceil(k));
    let mut small = vec![0f32; tw * th];
    for ty in 0..th {
        for tx in 0..tw {
            let (mut sum, mut n) = (0f64, 0u32);
            for y in ty * k..((ty + 1) * k).min(h) {
                for x in tx * k..((tx + 1) * k).min(w) {
                    sum += f64::from(px[y * w + x]);
                    n += 1;
                }
            }
            small[ty * tw + tx] = (sum / f64::from(n.max(1))) as f32;
        }
    }
    let mut sorted = small.clone();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q) as usize];
    let (lo, hi) = (at(0.005), at(0.995));
    let span = (hi - lo).max(1.0);
    let out = small
        .iter()
        .map(|v| (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    (out, tw, th)
}

fn encode(px: &[u8], tw: usize, th: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, tw as u32, th as u32);
    e.set_color(png::ColorType::Grayscale);
    e.set_depth(png::BitDepth::Eight);
    let mut wr = e.write_header().map_err(|e| e.to_string())?;
    wr.write_image_data(px).map_err(|e| e.to_string())?;
    wr.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_is_small_and_uses_the_whole_grey_range() {
        let (w, h) = (600, 300);
        let px: Vec<u16> = (0..w * h).map(|i| 1000 + (i % w) as u16).collect();
        let (g, tw, th) = stretch(&px, w, h);
        assert_eq!((tw, th), (200, 100));
        assert_eq!(g.len(), tw * th);
        assert_eq!(*g.iter().min().expect("px"), 0);
        assert_eq!(*g.iter().max().expect("px"), 255);
        assert!(g[0] < g[tw - 1], "left is darker than right");
        let png = encode(&g, tw, th).expect("png");
        assert_eq!(&png[1..4], b"PNG");
        // A flat image does not divide by zero.
        let (flat, _, _) = stretch(&[7u16; 64], 8, 8);
        assert!(flat.iter().all(|v| *v == 0));
        assert!(super::png(&[1, 2, 3], 2, 2).is_err());
    }
}
