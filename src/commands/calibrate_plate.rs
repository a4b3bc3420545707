//! `squidctl calibrate-plate`: where a plate format really sits on this stage. Each
//! reference well's centre is found from its wall in bright field (or given as the stage
//! position the user jogged to); a similarity fit gives A1, rotation and scale, stored beside
//! the microscope description for every later plan of that plate.

use super::print_json;
use crate::cli::{CalibratePlateArgs, ProtocolInput};
use crate::exit::Exit;
use crate::hardware::{self, BuildOptions, DeviceError, DeviceResult, Microscope};
use crate::microscope::MicroscopeConfig;
use crate::microscope::plate_calibration::{
    Placement, PlateCalibration, PlateCalibrations, ReferenceWell,
};
use crate::plan::plate::PlateGeometry;
use crate::plan::wells::{Well, parse_well};

/// A reference well and its centre's stage position (mm).
type Found = Vec<(Well, (f64, f64))>;

const CONNECT_S: f64 = 120.0;
const PER_FRAME_S: f64 = 10.0;
/// Frames tried per edge before the wall is declared not found, at least; a small field of
/// view gets as many as it takes to search a well's radius either way.
const TRIES_PER_EDGE: u32 = 14;
/// A fitted scale or rotation beyond these means a reference well was mis-found or
/// mis-named, not that the plate is so: nothing is stored.
const MAX_SCALE_ERROR: f64 = 0.02;
const MAX_ROTATION_DEG: f64 = 5.0;

pub fn run(args: &CalibratePlateArgs) -> Exit {
    let config = match hardware::load(args.microscope.as_deref()) {
        Ok(c) => c,
        Err(d) => return super::invalid(&d),
    };
    let Some(path) = config.plates_path() else {
        return refuse(
            "the built-in microscope has no description file to store a plate calibration beside",
            "copy microscopes/squid-sim.yaml, describe your microscope in it and pass --microscope FILE",
        );
    };
    let geom = match plate(args) {
        Ok(g) => g,
        Err(exit) => return exit,
    };
    // The search starts where plans would put the plate now.
    let start = crate::plan::plate::place(&config, &geom, None).placement;
    let (method, found) = if args.at.is_empty() {
        let wells = match reference_wells(&args.wells, &geom) {
            Ok(w) => w,
            Err(m) => return refuse(&m, "name wells of this plate, e.g. --wells A1,A12,H1"),
        };
        let search = match Search::new(args, &config, &geom) {
            Ok(s) => s,
            Err(m) => return refuse(&m, "pick a bright-field channel with --channel"),
        };
        let _lock = match super::command_lock(&config.desc.name, "calibrate-plate", "calibrate") {
            Ok(l) => l,
            Err(exit) => return exit,
        };
        let cfg = config.clone();
        let g = geom.clone();
        let limit = CONNECT_S + PER_FRAME_S * f64::from(search.tries * 4 + 1) * wells.len() as f64;
        match super::on_device_thread("calibrate-plate", "camera", limit, move || {
            find_all(&cfg, &g, &start, &wells, &search)
        }) {
            Ok(f) => ("edges", f),
            Err(e) => return failed(args, &format!("plate calibration failed: {e}")),
        }
    } else {
        match given(&args.at, &geom) {
            Ok(f) => ("given", f),
            Err(m) => return refuse(&m, "write --at A1=14.5mm,11.3mm, once per reference well"),
        }
    };
    let cal = match fit(&geom, method, &found) {
        Ok(c) => c,
        Err(m) => return failed(args, &m),
    };
    let mut all: PlateCalibrations = config.plates.clone();
    all.put(cal.clone());
    if let Err(e) = all.save(&path) {
        return failed(
            args,
            &format!("cannot write {}: {e}; nothing was stored", path.display()),
        );
    }
    report(&cal, &start, &path, args.json);
    Exit::Completed
}

fn refuse(what: &str, help: &str) -> Exit {
    eprintln!("error: {what}\nhelp: {help}");
    Exit::Invalid
}

fn failed(args: &CalibratePlateArgs, msg: &str) -> Exit {
    eprintln!("error: {msg}; the previous calibration is unchanged");
    if args.json {
        print_json(&serde_json::json!({"command": "calibrate-plate", "ok": false, "error": msg}));
    }
    Exit::Failed
}

/// The plate to calibrate: an SBS format by its well count, or the protocol's plate.
fn plate(args: &CalibratePlateArgs) -> Result<PlateGeometry, Exit> {
    if let Some(file) = &args.protocol {
        let input = ProtocolInput {
            microscope: args.microscope.clone(),
            sets: Vec::new(),
        };
        let l = super::load(file, &input).map_err(|d| super::invalid(&d))?;
        return l.plan.plate.ok_or_else(|| {
            refuse(
                &format!("{file} images positions, not a plate"),
                "give a protocol with `plate:`, or --plate 96",
            )
        });
    }
    let text = args.plate.as_deref().unwrap_or_default();
    let n = text.trim().trim_end_matches("-well").parse::<u32>().ok();
    n.and_then(PlateGeometry::sbs).ok_or_else(|| {
        refuse(
            &format!("--plate {text}: no such plate format"),
            "use 6, 12, 24, 48, 96, 384 or 1536, or --protocol FILE for a custom plate",
        )
    })
}

fn well_on(text: &str, geom: &PlateGeometry) -> Result<Well, String> {
    let w = parse_well(text).map_err(|e| format!("`{text}`: {e}"))?;
    if w.row >= geom.rows || w.col >= geom.cols {
        return Err(format!("{text} is not on a {} plate", geom.label));
    }
    Ok(w)
}

/// The named wells, or three corners far apart (two when the plate has one row or column).
fn reference_wells(named: &[String], geom: &PlateGeometry) -> Result<Vec<Well>, String> {
    if !named.is_empty() {
        return named.iter().map(|n| well_on(n, geom)).collect();
    }
    let (r, c) = (geom.rows - 1, geom.cols - 1);
    let mut wells = vec![Well { row: 0, col: 0 }];
    if c > 0 {
        wells.push(Well { row: 0, col: c });
    }
    if r > 0 {
        wells.push(Well { row: r, col: 0 });
    }
    if wells.len() < 2 {
        return Err(format!(
            "a {} plate has one well: nothing to fit a rotation to",
            geom.label
        ));
    }
    Ok(wells)
}

/// `--at WELL=X,Y` pairs.
fn given(at: &[String], geom: &PlateGeometry) -> Result<Found, String> {
    at.iter()
        .map(|a| {
            let (w, xy) = a
                .split_once('=')
                .ok_or_else(|| format!("--at {a}: write WELL=X,Y"))?;
            let (x, y) = crate::cli::parse_xy(xy).map_err(|e| format!("--at {a}: {e}"))?;
            Ok((well_on(w, geom)?, (x.mm(), y.mm())))
        })
        .collect()
}

/// Fit the placement and judge it.
fn fit(
    geom: &PlateGeometry,
    method: &str,
    found: &[(Well, (f64, f64))],
) -> Result<PlateCalibration, String> {
    let pairs: Vec<_> = found.iter().map(|(w, p)| (geom.from_a1(*w), *p)).collect();
    let p = Placement::fit(&pairs).ok_or_else(|| {
        "the reference wells coincide: name 2–3 wells far apart (e.g. A1, A12, H1)".to_string()
    })?;
    if (p.scale - 1.0).abs() > MAX_SCALE_ERROR || p.rotation_deg.abs() > MAX_ROTATION_DEG {
        return Err(format!(
            "the fit says the plate is scaled {:.4} and rotated {:+.2}°: a reference well was mis-found or mis-named",
            p.scale, p.rotation_deg
        ));
    }
    let wells: Vec<ReferenceWell> = found
        .iter()
        .map(|(w, at)| {
            let fitted = p.to_stage(geom.from_a1(*w));
            ReferenceWell {
                well: w.name(),
                found: [round(at.0, 1e4), round(at.1, 1e4)],
                residual_um: round((at.0 - fitted.0).hypot(at.1 - fitted.1) * 1000.0, 10.0),
            }
        })
        .collect();
    let rms =
        (wells.iter().map(|w| w.residual_um.powi(2)).sum::<f64>() / wells.len() as f64).sqrt();
    Ok(PlateCalibration {
        plate: geom.label.clone(),
        a1: [round(p.a1_mm.0, 1e4), round(p.a1_mm.1, 1e4)],
        rotation_deg: round(p.rotation_deg, 1e5),
        scale: round(p.scale, 1e6),
        rms_um: round(rms, 10.0),
        method: method.into(),
        calibrated: crate::clock::WallTime::now().rfc3339(),
        wells,
    })
}

fn round(v: f64, per: f64) -> f64 {
    (v * per).round() / per
}

/// What the edge search images with.
#[derive(Clone, Debug)]
struct Search {
    source: String,
    intensity_pct: f64,
    exposure_s: f64,
    z_mm: f64,
    /// Sample-plane size of one binned pixel (mm).
    pixel_mm: f64,
    radius_mm: f64,
    tries: u32,
}

impl Search {
    fn new(
        args: &CalibratePlateArgs,
        config: &MicroscopeConfig,
        geom: &PlateGeometry,
    ) -> Result<Search, String> {
        let chans = &config.desc.channels;
        let chan = match &args.channel {
            Some(n) => chans.iter().find(|c| &c.name == n).ok_or_else(|| {
                format!(
                    "no channel `{n}` on {}; it has {}",
                    config.desc.name,
                    chans
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?,
            None => chans
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case("bf"))
                .or_else(|| chans.first())
                .ok_or_else(|| format!("{} has no channels", config.desc.name))?,
        };
        if !(args.intensity > 0.0 && args.intensity <= 100.0) {
            return Err(format!(
                "--intensity {} is not a percentage above 0",
                args.intensity
            ));
        }
        let d = &config.desc;
        let pixel_mm = config.pixel_mm();
        let (fw, fh) = config.fov_mm();
        let field_mm = fw.min(fh);
        let radius_mm = geom.well_size_mm / 2.0;
        let tries = ((2.0 * radius_mm / (0.8 * field_mm.max(1e-6))).ceil() as u32 + 2)
            .clamp(TRIES_PER_EDGE, 400);
        Ok(Search {
            source: chan.source.clone(),
            intensity_pct: args.intensity,
            exposure_s: args.exposure.secs(),
            z_mm: args.z.map_or(d.stage.focus_z.mm(), |z| z.mm()),
            pixel_mm: pixel_mm * f64::from(d.camera.binning.max(1)),
            radius_mm,
            tries,
        })
    }
}

fn find_all(
    config: &MicroscopeConfig,
    geom: &PlateGeometry,
    start: &Placement,
    wells: &[Well],
    s: &Search,
) -> DeviceResult<Found> {
    let mut m = hardware::build(
        config,
        &BuildOptions {
            sources: Some(vec![s.source.clone()]),
            ..BuildOptions::default()
        },
    )?;
    let r = (|| -> DeviceResult<Found> {
        m.illumination.set(&s.source, s.intensity_pct)?;
        m.camera.set_exposure(s.exposure_s)?;
        m.z.move_to(s.z_mm)?;
        // The camera's dark level (lights off), so "floor" and "wall" are judged above it.
        let dark = mean(&m.camera.snap()?.pixels);
        let mut found = Vec::with_capacity(wells.len());
        for w in wells {
            let at = centre(&mut m, s, dark, geom.well_centre(*w, start), &w.name())?;
            found.push((*w, at));
        }
        Ok(found)
    })();
    let off = m.illumination.off();
    let r = r?;
    off?;
    Ok(r)
}

/// A well's centre: the midpoint of its left and right walls on the row through `guess`,
/// then of its top and bottom walls on the column through that midpoint (a chord's midpoint
/// is the centre's coordinate for a round well and a square one alike).
fn centre(
    m: &mut Microscope,
    s: &Search,
    dark: f64,
    guess: (f64, f64),
    well: &str,
) -> DeviceResult<(f64, f64)> {
    let floor = level_at(m, s, guess, dark, well)?;
    // Halfway between the floor and what the wall lets through.
    let threshold = dark + 0.55 * (floor - dark);
    let left = wall(m, s, guess, Axis::X, -1.0, threshold, well)?;
    let right = wall(m, s, guess, Axis::X, 1.0, threshold, well)?;
    let cx = (left + right) / 2.0;
    let top = wall(m, s, (cx, guess.1), Axis::Y, -1.0, threshold, well)?;
    let bottom = wall(m, s, (cx, guess.1), Axis::Y, 1.0, threshold, well)?;
    Ok((cx, (top + bottom) / 2.0))
}

#[derive(Clone, Copy, PartialEq)]
enum Axis {
    X,
    Y,
}

/// A frame at `at`: its pixels and width.
fn frame_at(m: &mut Microscope, s: &Search, at: (f64, f64)) -> DeviceResult<(Vec<u16>, usize)> {
    m.xy.move_to(at.0, at.1)?;
    let f = m.expose(s.exposure_s)?;
    Ok((f.pixels, f.width as usize))
}

fn mean(px: &[u16]) -> f64 {
    px.iter().map(|v| f64::from(*v)).sum::<f64>() / px.len().max(1) as f64
}

/// The well's floor brightness at its guessed centre: what "inside" looks like.
fn level_at(
    m: &mut Microscope,
    s: &Search,
    at: (f64, f64),
    dark: f64,
    well: &str,
) -> DeviceResult<f64> {
    let (px, _) = frame_at(m, s, at)?;
    let lit = mean(&px);
    // Well above the read noise: a wall lets through a sixth of it and must still show.
    if px.is_empty() || lit - dark < 60.0 {
        return Err(DeviceError::failed(
            "camera",
            format!(
                "the frame at {well}'s expected centre is dark ({lit:.0} against {dark:.0} with the light off): raise --intensity or --exposure, and check the plate is in its holder"
            ),
        ));
    }
    Ok(lit)
}

/// The mean of a central band of rows (for a wall crossing x) or columns (crossing y), one
/// value per pixel along the axis: the wall is a step in it.
fn profile(px: &[u16], width: usize, axis: Axis) -> Vec<f64> {
    let height = px.len() / width.max(1);
    match axis {
        Axis::X => {
            let band = (height / 8).max(256).min(height).max(1);
            let r0 = (height - band) / 2;
            let mut p = vec![0.0; width];
            for row in px.chunks_exact(width).skip(r0).take(band) {
                for (a, v) in p.iter_mut().zip(row) {
                    *a += f64::from(*v);
                }
            }
            p.iter_mut().for_each(|a| *a /= band as f64);
            p
        }
        Axis::Y => {
            let band = (width / 8).max(256).min(width).max(1);
            let c0 = (width - band) / 2;
            px.chunks_exact(width)
                .map(|row| {
                    row[c0..c0 + band]
                        .iter()
                        .map(|v| f64::from(*v))
                        .sum::<f64>()
                        / band as f64
                })
                .collect()
        }
    }
}

/// Where the wall is along `axis`, going from the centre in direction `dir` (±1): start at
/// the expected wall, step outwards while the frame is all floor and inwards while it is all
/// wall, and read the step's place where a frame holds both.
fn wall(
    m: &mut Microscope,
    s: &Search,
    through: (f64, f64),
    axis: Axis,
    dir: f64,
    threshold: f64,
    well: &str,
) -> DeviceResult<f64> {
    let along = |p: (f64, f64)| if axis == Axis::X { p.0 } else { p.1 };
    let mut at = match axis {
        Axis::X => (through.0 + dir * s.radius_mm, through.1),
        Axis::Y => (through.0, through.1 + dir * s.radius_mm),
    };
    for _ in 0..s.tries {
        let (px, width) = frame_at(m, s, at)?;
        let prof = smooth(&profile(&px, width, axis), 9);
        let n = prof.len();
        let step = n as f64 * s.pixel_mm * 0.8;
        let floor = prof.iter().filter(|v| **v > threshold).count();
        let moved = if floor == n {
            dir * step
        } else if floor == 0 {
            -dir * step
        } else {
            // Walk from the well's side outwards: the first wall pixel after a floor pixel.
            let mut last_floor = None;
            for k in 0..n {
                let i = if dir > 0.0 { k } else { n - 1 - k };
                if prof[i] > threshold {
                    last_floor = Some(i);
                } else if let Some(f) = last_floor {
                    // Linear interpolation between the floor pixel and the wall pixel.
                    let (a, b) = (prof[f], prof[i]);
                    let frac = if (a - b).abs() > 1e-9 {
                        (a - threshold) / (a - b)
                    } else {
                        0.5
                    };
                    let pos = f as f64 + frac * (i as f64 - f as f64);
                    return Ok(along(at) + (pos + 0.5 - n as f64 / 2.0) * s.pixel_mm);
                }
            }
            // Floor only beyond the wall (the neighbour well): look nearer the centre.
            -dir * step
        };
        at = match axis {
            Axis::X => (at.0 + moved, at.1),
            Axis::Y => (at.0, at.1 + moved),
        };
    }
    Err(DeviceError::failed(
        "camera",
        format!(
            "no wall of {well} within {} frames of where it should be: is the plate in the holder, and this its format?",
            s.tries
        ),
    ))
}

/// A running mean over `k` values (the texture of the floor is not a wall).
fn smooth(p: &[f64], k: usize) -> Vec<f64> {
    let h = k / 2;
    (0..p.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(h), (i + h + 1).min(p.len()));
            p[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect()
}

fn report(c: &PlateCalibration, before: &Placement, path: &std::path::Path, json: bool) {
    if json {
        print_json(&serde_json::json!({
            "command": "calibrate-plate",
            "ok": true,
            "file": path,
            "calibration": c,
            "moved_um": [
                round((c.a1[0] - before.a1_mm.0) * 1000.0, 10.0),
                round((c.a1[1] - before.a1_mm.1) * 1000.0, 10.0),
            ],
        }));
        return;
    }
    println!(
        "calibrated the {} plate: A1 at ({:.4}, {:.4}) mm ({:+.1}, {:+.1} µm from before), rotated {:+.4}°, scale {:.5}, RMS {:.1} µm",
        c.plate,
        c.a1[0],
        c.a1[1],
        (c.a1[0] - before.a1_mm.0) * 1000.0,
        (c.a1[1] - before.a1_mm.1) * 1000.0,
        c.rotation_deg,
        c.scale,
        c.rms_um
    );
    for w in &c.wells {
        println!(
            "  {:<4} found at ({:.4}, {:.4}) mm, residual {:.1} µm",
            w.well, w.found[0], w.found[1], w.residual_um
        );
    }
    println!("wrote {}", path.display());
}
