//! What the simulated camera sees: a sample that looks like cells (or beads), sharp on a
//! tilted, slightly curved focal surface and blurred away from it, with brightness from the
//! channel, exposure and intensity, shot and read noise, and the camera's bit depth.
//!
//! Frames are cheap: each content family is rendered once into a periodic texture (sharp,
//! plus two blurred copies at lower resolution); a frame is a crop of it at an offset hashed
//! from the stage position, a blend of blur levels for the defocus, and noise taken from a
//! precomputed table at a seeded offset per row.

use std::sync::OnceLock;

use rayon::prelude::*;

use super::settings::{FocusSurfaceDesc, SampleKind};
use crate::hardware::faults::SplitMix;

/// Texture side (a power of two so wrapping is a mask).
const N: usize = 2048;
const MASK: usize = N - 1;
/// Texture values span 0..=TEX_MAX (relative emission 0..1).
const TEX_MAX: u32 = 4095;
const NOISE_LEN: usize = 1 << 16;
/// Camera offset (dark level) in grey values.
const DARK: u32 = 100;
const READ_NOISE: f64 = 2.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Nuclei,
    Cells,
    BrightField,
    Beads,
}

impl Family {
    fn index(self) -> usize {
        self as usize
    }

    /// Peak grey value per ms of exposure at 100 % intensity (how bright the stain is).
    fn efficiency(self) -> f64 {
        match self {
            Family::Nuclei => 150.0,
            Family::Cells => 100.0,
            Family::BrightField => 600.0,
            Family::Beads => 200.0,
        }
    }
}

struct Texture {
    /// Sharp, N × N.
    l0: Vec<u16>,
    /// Blurred (σ ≈ 3 px), N/2 × N/2.
    l1: Vec<u16>,
    /// Blurred (σ ≈ 12 px), N/4 × N/4.
    l2: Vec<u16>,
}

/// The imaging conditions of one frame.
#[derive(Clone, Copy, Debug)]
pub struct Shot<'a> {
    pub x_mm: f64,
    pub y_mm: f64,
    pub z_mm: f64,
    /// `None`: the light is off (a dark frame).
    pub source: Option<&'a str>,
    pub wavelength_nm: Option<f64>,
    pub intensity_pct: f64,
    pub exposure_s: f64,
    pub gain_db: f64,
    /// Region in sensor pixels: x, y, width, height.
    pub roi: (u32, u32, u32, u32),
    pub binning: u32,
    pub bit_depth: u32,
}

pub struct Sample {
    seed: u64,
    kind: SampleKind,
    focus_z_mm: f64,
    focus: FocusSurfaceDesc,
    center: (f64, f64),
    textures: [OnceLock<Texture>; 4],
    noise: Vec<i16>,
    /// The last dark frames' noisy rows, for their shading: built once, not per frame.
    dark_bank: std::sync::Mutex<Option<DarkBank>>,
    /// The plate whose walls bound the sample, if the world has one.
    plate: Option<super::plate::SimPlate>,
}

/// Dark pixels for each noise sample, and the shading (its bits) they were made for.
type DarkBank = ([u32; 3], std::sync::Arc<Vec<u16>>);

fn mix(mut h: u64, v: u64) -> u64 {
    h ^= v
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(h << 6)
        .wrapping_add(h >> 2);
    SplitMix(h).next_u64()
}

impl Sample {
    pub fn new(
        seed: u64,
        kind: SampleKind,
        focus_z_mm: f64,
        focus: FocusSurfaceDesc,
        center: (f64, f64),
    ) -> Self {
        let mut rng = SplitMix(seed ^ 0x0123_4567_89AB_CDEF);
        // Standard normals (Box–Muller) scaled by 256.
        let mut noise = Vec::with_capacity(NOISE_LEN);
        while noise.len() < NOISE_LEN {
            let u1 = rng.next_f64().max(1e-12);
            let u2 = rng.next_f64();
            let r = (-2.0 * u1.ln()).sqrt();
            let a = 2.0 * std::f64::consts::PI * u2;
            noise.push((r * a.cos() * 256.0).clamp(-32767.0, 32767.0) as i16);
            noise.push((r * a.sin() * 256.0).clamp(-32767.0, 32767.0) as i16);
        }
        Sample {
            seed,
            kind,
            focus_z_mm,
            focus,
            center,
            textures: Default::default(),
            noise,
            dark_bank: Default::default(),
            plate: None,
        }
    }

    /// The same sample inside a plate's wells.
    pub fn with_plate(mut self, plate: Option<super::plate::SimPlate>) -> Self {
        self.plate = plate;
        self
    }

    /// How far the stage position is from the true centre of the well it is in (µm, stage
    /// axes): the truth a plate's calibration is judged against.
    pub fn well_offset_um(&self, x_mm: f64, y_mm: f64) -> Option<[f64; 2]> {
        let o = self.plate.as_ref()?.locate((x_mm, y_mm));
        let r = |v: f64| (v * 1e4).round() / 10.0;
        Some([r(o.offset_mm.0), r(o.offset_mm.1)])
    }

    /// Dark pixels (offset and read noise) for each noise sample, as this shading makes them.
    fn dark_bank(&self, shading: &Shading) -> std::sync::Arc<Vec<u16>> {
        let key = [
            shading.dark.to_bits(),
            shading.read2.to_bits(),
            shading.max.to_bits(),
        ];
        let mut cached = self.dark_bank.lock().unwrap_or_else(|p| p.into_inner());
        match &*cached {
            Some((k, bank)) if *k == key => bank.clone(),
            _ => {
                let bank: std::sync::Arc<Vec<u16>> = std::sync::Arc::new(
                    self.noise.iter().map(|&n| shading.pixel(0.0, n)).collect(),
                );
                *cached = Some((key, bank.clone()));
                bank
            }
        }
    }

    /// Height of the focal surface under the objective at (x, y).
    pub fn focus_at(&self, x_mm: f64, y_mm: f64) -> f64 {
        let dx = x_mm - self.center.0;
        let dy = y_mm - self.center.1;
        let um = self.focus.tilt_x.0 * dx
            + self.focus.tilt_y.0 * dy
            + self.focus.curvature.um() * (dx * dx + dy * dy) / 2500.0;
        self.focus_z_mm + um / 1000.0
    }

    pub fn family(&self, source: &str, wavelength_nm: Option<f64>) -> Family {
        let bright = source.contains("led")
            || source.contains("lamp")
            || source.contains("bf")
            || wavelength_nm.is_none();
        match (self.kind, bright) {
            (_, true) => Family::BrightField,
            (SampleKind::Beads, false) => Family::Beads,
            (SampleKind::Cells, false) if wavelength_nm.is_some_and(|w| w < 450.0) => {
                Family::Nuclei
            }
            (SampleKind::Cells, false) => Family::Cells,
        }
    }

    fn texture(&self, f: Family) -> &Texture {
        self.textures[f.index()].get_or_init(|| build_texture(f, self.seed))
    }

    /// Build the textures these sources need now, in parallel, so the first frame of a run
    /// does not spend its capture deadline on them.
    pub fn prepare(&self, sources: &[(String, Option<f64>)]) {
        let mut families: Vec<Family> = sources.iter().map(|(s, w)| self.family(s, *w)).collect();
        families.dedup();
        families.sort_by_key(|f| f.index());
        families.dedup();
        std::thread::scope(|scope| {
            for f in families {
                scope.spawn(move || {
                    self.texture(f);
                });
            }
        });
        // The working buffers are freed; give their pages back to the system.
        // SAFETY: malloc_trim only releases free heap memory.
        #[cfg(target_env = "gnu")]
        unsafe {
            libc::malloc_trim(0);
        }
    }

    /// Render a frame into `out` (width × height after ROI and binning), on the render
    /// threads: never behind the savers' work.
    pub fn render(&self, shot: &Shot<'_>, out: &mut Vec<u16>) {
        crate::supervisor::pools::on(crate::supervisor::pools::Work::Render, || {
            self.render_here(shot, out);
            if let Some(p) = &self.plate
                && shot.source.is_some()
            {
                let dark = DARK as f32 * 10f32.powf(shot.gain_db as f32 / 20.0);
                p.shade_walls((shot.x_mm, shot.y_mm), shot.roi, shot.binning, dark, out);
            }
        })
    }

    fn render_here(&self, shot: &Shot<'_>, out: &mut Vec<u16>) {
        let (rx, ry, rw, rh) = shot.roi;
        let b = shot.binning.max(1);
        let (w, h) = ((rw / b) as usize, (rh / b) as usize);
        // Every pixel is written below, so a recycled buffer of the right size is not cleared.
        if out.len() != w * h {
            out.clear();
            out.resize(w * h, 0);
        }
        let max = ((1u32 << shot.bit_depth.clamp(1, 16)) - 1) as i32;
        let gain = 10f64.powf(shot.gain_db / 20.0);
        let source = shot.source.unwrap_or("");
        let family = self.family(source, shot.wavelength_nm);
        // Deterministic per position and conditions: same seed and position, same image.
        let pos = mix(
            mix(self.seed, (shot.x_mm * 1e4).round() as i64 as u64),
            (shot.y_mm * 1e4).round() as i64 as u64,
        );
        let src_hash = source.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
            (h ^ c as u64).wrapping_mul(0x100_0000_01b3)
        });
        let offset = mix(pos, src_hash);
        let (ox, oy) = ((offset as usize) & MASK, ((offset >> 20) as usize) & MASK);
        let frame_seed = mix(
            mix(
                mix(offset, (shot.z_mm * 1e6).round() as i64 as u64),
                (shot.exposure_s * 1e7).round() as u64,
            ),
            (shot.intensity_pct * 1e3).round() as u64 ^ (shot.gain_db * 1e3).round() as u64,
        );
        let mut rng = SplitMix(frame_seed);
        let lit = shot.source.is_some() && shot.intensity_pct > 0.0;
        // Peak grey value for texture value TEX_MAX, in 16.16 fixed point per texture unit.
        let peak = if lit {
            family.efficiency() * shot.exposure_s * 1000.0 * shot.intensity_pct / 100.0
                * gain
                * (b * b) as f64
        } else {
            0.0
        };
        let scale = ((peak / TEX_MAX as f64) * 65536.0).min(u32::MAX as f64 / 8192.0) as u64;
        let dark = (DARK as f64 * gain) as u64;
        // Blend of blur levels for the defocus, in 1/256ths.
        let dz_um = (shot.z_mm - self.focus_at(shot.x_mm, shot.y_mm)).abs() * 1000.0;
        let d = dz_um / self.focus.depth_of_field.um().max(1e-6);
        let (w0, w1, w2) = blur_weights(d);
        let tex = if lit {
            Some(self.texture(family))
        } else {
            None
        };
        // Mean grey value and shot + read noise, in straight-line f32 arithmetic the compiler
        // turns into SIMD (a table lookup per pixel would not vectorise).
        let shading = Shading {
            dark: dark as f32,
            scale: scale as f32 / 65536.0,
            read2: (READ_NOISE * READ_NOISE) as f32,
            max: max as f32,
        };
        let lut = shading;
        let noise = &self.noise;
        let bstep = b as usize;
        let x0 = (rx as usize + ox) & MASK;
        // Rows are independent (each has its own seeded noise offset), so bands of rows are
        // rendered in parallel: the simulated camera keeps up with fast disks like a real one.
        let row_seed = rng.next_u64();
        if tex.is_none() {
            // A dark frame (light off or zero intensity) is offset plus read noise only: copy
            // each row from a precomputed noisy bank at a seeded offset — as fast as memory.
            let bank = self.dark_bank(&shading);
            out.par_chunks_mut(w * ROWS_PER_TASK)
                .enumerate()
                .for_each(|(band, rows)| {
                    for (r, row) in rows.chunks_mut(w).enumerate() {
                        let i = band * ROWS_PER_TASK + r;
                        let k = (SplitMix(mix(row_seed, i as u64)).next_u64() as usize)
                            % (NOISE_LEN - w.min(NOISE_LEN - 1));
                        row.copy_from_slice(&bank[k..k + w]);
                    }
                });
            return;
        }
        out.par_chunks_mut(w * ROWS_PER_TASK)
            .enumerate()
            .for_each(|(band, rows)| {
                let mut blend: Vec<u16> = Vec::with_capacity(w);
                for (r, row) in rows.chunks_mut(w).enumerate() {
                    let i = band * ROWS_PER_TASK + r;
                    let sy = (ry as usize + i * bstep + oy) & MASK;
                    let k = (SplitMix(mix(row_seed, i as u64)).next_u64() as usize)
                        % (NOISE_LEN - w.min(NOISE_LEN - 1));
                    let nz = &noise[k..k + w];
                    render_row(row, nz, tex, sy, x0, bstep, (w0, w1, w2), lut, &mut blend);
                }
            });
    }
}

/// Rows rendered per parallel task.
const ROWS_PER_TASK: usize = 32;

#[allow(clippy::too_many_arguments)]
fn render_row(
    row: &mut [u16],
    nz: &[i16],
    tex: Option<&Texture>,
    sy: usize,
    x0: usize,
    bstep: usize,
    (w0, w1, w2): (u64, u64, u64),
    lut: Shading,
    blend: &mut Vec<u16>,
) {
    let w = row.len();
    match tex {
        Some(t) if w1 == 0 && w2 == 0 && bstep == 1 => {
            // In focus, full resolution: the crop is at most a few contiguous runs.
            let r0 = &t.l0[sy * N..sy * N + N];
            let mut done = 0;
            while done < w {
                let sx0 = (x0 + done) & MASK;
                let n = (N - sx0).min(w - done);
                shade(
                    &mut row[done..done + n],
                    &r0[sx0..sx0 + n],
                    &nz[done..done + n],
                    lut,
                );
                done += n;
            }
        }
        Some(t) if bstep == 1 => {
            // Defocused: blend two levels along the row, then shade.
            let r0 = &t.l0[sy * N..sy * N + N];
            let r1 = &t.l1[(sy >> 1) * (N / 2)..(sy >> 1) * (N / 2) + N / 2];
            let r2 = &t.l2[(sy >> 2) * (N / 4)..(sy >> 2) * (N / 4) + N / 4];
            blend.clear();
            blend.resize(w, 0);
            let mut done = 0;
            while done < w {
                let sx0 = (x0 + done) & MASK;
                let n = (N - sx0).min(w - done);
                blend_run(
                    &mut blend[done..done + n],
                    r0,
                    r1,
                    r2,
                    sx0,
                    (w0 as u32, w1 as u32, w2 as u32),
                );
                done += n;
            }
            shade(row, blend, nz, lut);
        }
        Some(t) => {
            let r0 = &t.l0[sy * N..sy * N + N];
            let r1 = &t.l1[(sy >> 1) * (N / 2)..(sy >> 1) * (N / 2) + N / 2];
            let r2 = &t.l2[(sy >> 2) * (N / 4)..(sy >> 2) * (N / 4) + N / 4];
            for (j, (px, &n)) in row.iter_mut().zip(nz).enumerate() {
                let sx = (x0 + j * bstep) & MASK;
                let blended =
                    (r0[sx] as u64 * w0 + r1[sx >> 1] as u64 * w1 + r2[sx >> 2] as u64 * w2) >> 8;
                *px = lut.pixel(blended.min(TEX_MAX as u64) as f32, n);
            }
        }
        None => {
            for (px, &n) in row.iter_mut().zip(nz) {
                *px = lut.pixel(0.0, n);
            }
        }
    }
}

/// How texture values become grey values for one frame.
#[derive(Clone, Copy)]
struct Shading {
    dark: f32,
    /// Grey values per texture unit.
    scale: f32,
    read2: f32,
    max: f32,
}

impl Shading {
    /// Mean plus noise: σ² is the signal (shot noise, one electron per grey value) plus the
    /// read noise squared; `n` is a standard normal × 256.
    #[inline(always)]
    fn pixel(self, t: f32, n: i16) -> u16 {
        let signal = t * self.scale;
        let sigma = (signal + self.read2).sqrt();
        let v = self.dark + signal + n as f32 * (1.0 / 256.0) * sigma;
        v.clamp(0.0, self.max) as u16
    }
}

/// Blend a contiguous run of the blur levels starting at texture column `sx0`.
fn blend_run(
    dst: &mut [u16],
    r0: &[u16],
    r1: &[u16],
    r2: &[u16],
    sx0: usize,
    (w0, w1, w2): (u32, u32, u32),
) {
    if w2 == 0 {
        for (j, d) in dst.iter_mut().enumerate() {
            let sx = sx0 + j;
            *d = ((r0[sx] as u32 * w0 + r1[sx >> 1] as u32 * w1) >> 8) as u16;
        }
    } else {
        for (j, d) in dst.iter_mut().enumerate() {
            let sx = sx0 + j;
            *d = ((r1[sx >> 1] as u32 * w1 + r2[sx >> 2] as u32 * w2) >> 8) as u16;
        }
    }
}

#[inline(always)]
fn shade(out: &mut [u16], tex: &[u16], noise: &[i16], sh: Shading) {
    for ((px, &t), &n) in out.iter_mut().zip(tex).zip(noise) {
        *px = sh.pixel(t as f32, n);
    }
}

/// Weights (sum 256) of the sharp, slightly and strongly blurred textures for a defocus of
/// `d` depths of field: sharp at 0, level 1 at 2, level 2 from 6 on.
/// Weights move in steps of 1/32, and within a quarter of the depth of field the image is
/// simply sharp (the fast path) rather than a near-invisible blend.
fn blur_weights(d: f64) -> (u64, u64, u64) {
    let d = d.max(0.0);
    let q = |f: f64| ((f * 32.0).round() as u64) * 8;
    if d < 0.25 {
        (256, 0, 0)
    } else if d <= 2.0 {
        let a = q(d / 2.0);
        (256 - a, a, 0)
    } else if d <= 6.0 {
        let a = q((d - 2.0) / 4.0);
        (0, 256 - a, a)
    } else {
        (0, 0, 256)
    }
}

fn build_texture(f: Family, seed: u64) -> Texture {
    let mut rng = SplitMix(mix(seed, f as u64 + 17));
    let mut img = vec![0f32; N * N];
    let blob =
        |img: &mut [f32], cx: f64, cy: f64, rx: f64, ry: f64, amp: f64, profile: fn(f64) -> f64| {
            let r = rx.max(ry).ceil() as i64 + 1;
            for dy in -r..=r {
                for dx in -r..=r {
                    let u = dx as f64 / rx;
                    let v = dy as f64 / ry;
                    let q = u * u + v * v;
                    if q >= 1.0 {
                        continue;
                    }
                    let x = ((cx as i64 + dx).rem_euclid(N as i64)) as usize;
                    let y = ((cy as i64 + dy).rem_euclid(N as i64)) as usize;
                    img[y * N + x] += (amp * profile(q)) as f32;
                }
            }
        };
    let flat_top = |q: f64| (1.0 - q * q * q).max(0.0);
    let dome = |q: f64| (1.0 - q).powi(2);
    let gauss = |q: f64| (-4.0 * q).exp();
    let ring = |q: f64| (-((q.sqrt() - 0.9) * 12.0).powi(2)).exp();
    let n_f = N as f64;
    match f {
        Family::Nuclei => {
            for _ in 0..260 {
                let (cx, cy) = (rng.next_f64() * n_f, rng.next_f64() * n_f);
                let r = 13.0 + rng.next_f64() * 9.0;
                let e = 0.75 + rng.next_f64() * 0.5;
                blob(
                    &mut img,
                    cx,
                    cy,
                    r * e,
                    r / e,
                    0.45 + rng.next_f64() * 0.45,
                    flat_top,
                );
                // Chromatin texture: a few bright spots inside.
                for _ in 0..4 {
                    let a = rng.next_f64() * std::f64::consts::TAU;
                    let d = rng.next_f64() * r * 0.6;
                    blob(
                        &mut img,
                        cx + a.cos() * d,
                        cy + a.sin() * d,
                        3.0,
                        3.0,
                        0.25,
                        gauss,
                    );
                }
            }
        }
        Family::Cells => {
            for _ in 0..170 {
                let (cx, cy) = (rng.next_f64() * n_f, rng.next_f64() * n_f);
                let r = 35.0 + rng.next_f64() * 30.0;
                let e = 0.7 + rng.next_f64() * 0.6;
                blob(
                    &mut img,
                    cx,
                    cy,
                    r * e,
                    r / e,
                    0.25 + rng.next_f64() * 0.35,
                    dome,
                );
            }
            for _ in 0..2500 {
                let (cx, cy) = (rng.next_f64() * n_f, rng.next_f64() * n_f);
                blob(
                    &mut img,
                    cx,
                    cy,
                    2.5,
                    2.5,
                    0.15 + rng.next_f64() * 0.25,
                    gauss,
                );
            }
        }
        Family::BrightField => {
            img.iter_mut().for_each(|p| *p = 0.75);
            for _ in 0..170 {
                let (cx, cy) = (rng.next_f64() * n_f, rng.next_f64() * n_f);
                let r = 35.0 + rng.next_f64() * 30.0;
                let e = 0.7 + rng.next_f64() * 0.6;
                blob(&mut img, cx, cy, r * e, r / e, -0.35, ring);
                blob(&mut img, cx, cy, r * e * 0.35, r / e * 0.35, -0.12, dome);
            }
        }
        Family::Beads => {
            for _ in 0..450 {
                let (cx, cy) = (rng.next_f64() * n_f, rng.next_f64() * n_f);
                let r = 3.0 + rng.next_f64() * 2.5;
                blob(&mut img, cx, cy, r, r, 0.6 + rng.next_f64() * 0.4, gauss);
            }
        }
    }
    // Blur in place, level after level, so generating a texture never holds two copies.
    let l0 = quantize(&img);
    box_blur(&mut img, N, 2, 3);
    let l1 = quantize(&downsample(&img, N, 2));
    box_blur(&mut img, N, 8, 3);
    let l2 = quantize(&downsample(&img, N, 4));
    drop(img);
    Texture { l0, l1, l2 }
}

fn quantize(img: &[f32]) -> Vec<u16> {
    img.iter()
        .map(|v| (v.clamp(0.0, 1.0) * TEX_MAX as f32).round() as u16)
        .collect()
}

/// `passes` periodic box blurs of radius `r` in both directions (≈ a Gaussian).
fn box_blur(img: &mut [f32], n: usize, r: usize, passes: usize) {
    const BLOCK: usize = 32;
    let mut tmp = vec![0f32; n];
    let mut block = vec![0f32; n * BLOCK];
    let norm = 1.0 / (2 * r + 1) as f32;
    for _ in 0..passes {
        for row in img.chunks_exact_mut(n) {
            let mut acc: f32 = (0..=2 * r).map(|k| row[(k + n - r) % n]).sum();
            for x in 0..n {
                tmp[x] = acc * norm;
                acc += row[(x + r + 1) % n] - row[(x + n - r) % n];
            }
            row.copy_from_slice(&tmp);
        }
        // Columns a block at a time, walking down the rows: the same sums in the same order
        // as one column at a time (the texture is bit for bit the same), but each step reads
        // BLOCK neighbouring values instead of one value 8 KiB from the last.
        for x0 in (0..n).step_by(BLOCK) {
            let w = BLOCK.min(n - x0);
            let mut acc = [0f32; BLOCK];
            for (j, a) in acc.iter_mut().enumerate().take(w) {
                *a = (0..=2 * r)
                    .map(|k| img[((k + n - r) % n) * n + x0 + j])
                    .sum();
            }
            for y in 0..n {
                let add = ((y + r + 1) % n) * n + x0;
                let sub = ((y + n - r) % n) * n + x0;
                for j in 0..w {
                    block[y * BLOCK + j] = acc[j] * norm;
                    acc[j] += img[add + j] - img[sub + j];
                }
            }
            for y in 0..n {
                img[y * n + x0..y * n + x0 + w].copy_from_slice(&block[y * BLOCK..y * BLOCK + w]);
            }
        }
    }
}

fn downsample(img: &[f32], n: usize, f: usize) -> Vec<f32> {
    let m = n / f;
    let mut out = vec![0f32; m * m];
    let norm = 1.0 / (f * f) as f32;
    for y in 0..m {
        for x in 0..m {
            let mut s = 0.0;
            for dy in 0..f {
                for dx in 0..f {
                    s += img[(y * f + dy) * n + x * f + dx];
                }
            }
            out[y * m + x] = s * norm;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// The blocked column pass gives the very texture the one-column-at-a-time pass gave
    /// (runs, checksums and tests depend on the simulator's pixels staying the same).
    #[test]
    fn the_blocked_blur_is_bit_for_bit_the_column_blur() {
        let n = 96;
        let mut rng = SplitMix(42);
        let img: Vec<f32> = (0..n * n).map(|_| rng.next_f64() as f32).collect();
        for (r, passes) in [(2, 3), (8, 3), (1, 1)] {
            let mut fast = img.clone();
            box_blur(&mut fast, n, r, passes);
            let mut slow = img.clone();
            let norm = 1.0 / (2 * r + 1) as f32;
            let mut tmp = vec![0f32; n];
            for _ in 0..passes {
                for row in slow.chunks_exact_mut(n) {
                    let mut acc: f32 = (0..=2 * r).map(|k| row[(k + n - r) % n]).sum();
                    for x in 0..n {
                        tmp[x] = acc * norm;
                        acc += row[(x + r + 1) % n] - row[(x + n - r) % n];
                    }
                    row.copy_from_slice(&tmp);
                }
                for x in 0..n {
                    let mut acc: f32 = (0..=2 * r).map(|k| slow[((k + n - r) % n) * n + x]).sum();
                    for y in 0..n {
                        tmp[y] = acc * norm;
                        acc += slow[((y + r + 1) % n) * n + x] - slow[((y + n - r) % n) * n + x];
                    }
                    for y in 0..n {
                        slow[y * n + x] = tmp[y];
                    }
                }
            }
            let same = fast
                .iter()
                .zip(&slow)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "r {r}, {passes} passes");
        }
    }

    use super::*;

    pub(crate) fn sample() -> Sample {
        Sample::new(
            7,
            SampleKind::Cells,
            4.0,
            FocusSurfaceDesc::default(),
            (64.0, 43.0),
        )
    }

    pub(crate) fn shot(x: f64, y: f64, z: f64) -> Shot<'static> {
        Shot {
            x_mm: x,
            y_mm: y,
            z_mm: z,
            source: Some("laser-488"),
            wavelength_nm: Some(488.0),
            intensity_pct: 50.0,
            exposure_s: 0.05,
            gain_db: 0.0,
            roi: (0, 0, 256, 256),
            binning: 1,
            bit_depth: 12,
        }
    }

    #[test]
    fn same_seed_and_position_same_image_other_positions_differ() {
        let (a, b) = (sample(), sample());
        let (mut fa, mut fb, mut fc) = (Vec::new(), Vec::new(), Vec::new());
        a.render(&shot(10.0, 10.0, 4.0), &mut fa);
        b.render(&shot(10.0, 10.0, 4.0), &mut fb);
        a.render(&shot(10.7, 10.0, 4.0), &mut fc);
        assert_eq!(fa, fb);
        assert_ne!(fa, fc);
        let other_seed = Sample::new(
            8,
            SampleKind::Cells,
            4.0,
            FocusSurfaceDesc::default(),
            (64.0, 43.0),
        );
        let mut fd = Vec::new();
        other_seed.render(&shot(10.0, 10.0, 4.0), &mut fd);
        assert_ne!(fa, fd);
    }

    #[test]
    fn a_recycled_buffer_is_fully_overwritten() {
        let s = sample();
        let focus = s.focus_at(10.0, 10.0);
        let mut dark = shot(10.0, 10.0, focus);
        dark.source = None;
        let mut binned = shot(10.0, 10.0, focus + 0.01);
        binned.binning = 2;
        binned.roi = (0, 0, 512, 512);
        for sh in [
            shot(10.0, 10.0, focus),
            shot(10.0, 10.0, focus + 0.005),
            shot(10.0, 10.0, focus + 0.05),
            binned,
            dark,
        ] {
            let mut fresh = Vec::new();
            s.render(&sh, &mut fresh);
            let mut reused = vec![u16::MAX; fresh.len()];
            s.render(&sh, &mut reused);
            assert_eq!(fresh, reused);
        }
    }

    #[test]
    fn brightness_follows_exposure_intensity_and_bit_depth() {
        let s = sample();
        let mean = |sh: &Shot<'_>| {
            let mut f = Vec::new();
            s.render(sh, &mut f);
            f.iter().map(|&v| v as f64).sum::<f64>() / f.len() as f64
        };
        let base = shot(20.0, 20.0, s.focus_at(20.0, 20.0));
        let m1 = mean(&base);
        let m2 = mean(&Shot {
            exposure_s: 0.1,
            ..base
        });
        let m3 = mean(&Shot {
            intensity_pct: 25.0,
            ..base
        });
        assert!((m2 - DARK as f64) / (m1 - DARK as f64) > 1.8, "{m1} {m2}");
        assert!((m3 - DARK as f64) / (m1 - DARK as f64) < 0.6, "{m1} {m3}");
        let dark = mean(&Shot {
            source: None,
            ..base
        });
        assert!((dark - DARK as f64).abs() < 2.0, "{dark}");
        let mut f = Vec::new();
        s.render(
            &Shot {
                exposure_s: 5.0,
                bit_depth: 8,
                ..base
            },
            &mut f,
        );
        assert!(f.iter().all(|&v| v <= 255));
    }

    #[test]
    fn channels_show_different_content() {
        let s = sample();
        let mut a = Vec::new();
        let mut b = Vec::new();
        s.render(&shot(30.0, 30.0, s.focus_at(30.0, 30.0)), &mut a);
        s.render(
            &Shot {
                source: Some("led-matrix"),
                wavelength_nm: None,
                exposure_s: 0.005,
                ..shot(30.0, 30.0, s.focus_at(30.0, 30.0))
            },
            &mut b,
        );
        assert_ne!(a, b);
    }

    #[test]
    fn contrast_peaks_at_the_focal_surface() {
        use crate::hardware::autofocus::{FocusMetric, score};
        let s = sample();
        for (x, y) in [(14.0, 11.0), (64.0, 43.0), (113.0, 74.0)] {
            let f0 = s.focus_at(x, y);
            for metric in [FocusMetric::NormalizedVariance, FocusMetric::Brenner] {
                let scores: Vec<f64> = (-10..=10)
                    .map(|k| {
                        let mut f = Vec::new();
                        s.render(&shot(x, y, f0 + k as f64 * 0.001), &mut f);
                        score(&f, 256, metric)
                    })
                    .collect();
                let best = scores
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(i, _)| i);
                assert_eq!(best, Some(10), "{metric:?} at ({x}, {y}): {scores:?}");
            }
        }
    }

    #[test]
    fn the_plate_is_tilted_and_curved() {
        let s = sample();
        let corner = s.focus_at(14.0, 11.0);
        let far = s.focus_at(113.0, 74.0);
        assert!((corner - far).abs() > 0.005, "{corner} {far}");
        assert_eq!(s.focus_at(64.0, 43.0), 4.0);
    }
}
