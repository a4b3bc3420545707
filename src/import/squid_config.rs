//! `squidctl import squid-config`: a microscope description for the `squid` driver from a
//! Squid `configuration_*.ini`. The file describes the stage and the board fully; the channel
//! table, objectives and sensor sizes live in Squid's code and CSVs, whose standard values
//! are used here and named in comments.

use std::cell::RefCell;
use std::path::Path;

use super::Imported;
use super::ini::Ini;
use super::yaml_out::{self as y, Doc};
use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::hardware::squid::settings::{Output, STANDARD_SOURCES, SquidSettings, SwitchPolarity};

const G: &str = "GENERAL";

/// Squid's objectives (`objective_and_sample_formats/objectives.csv`): name, magnification,
/// NA, the focal length of the tube lens the objective was designed for.
pub const OBJECTIVES: [(&str, f64, f64, f64); 7] = [
    ("2x", 2.0, 0.10, 180.0),
    ("4x", 4.0, 0.13, 180.0),
    ("10x", 10.0, 0.3, 180.0),
    ("20x", 20.0, 0.8, 180.0),
    ("40x", 40.0, 0.95, 180.0),
    ("50x", 50.0, 0.8, 180.0),
    ("60x", 60.0, 1.2, 180.0),
];

/// A camera Squid ships with, as its `main_camera_model` names it.
struct Sensor {
    model: &'static str,
    width: u32,
    height: u32,
    pixel_um: f64,
    bit_depth: u32,
    /// Full-frame readout, from the maker's frame rate.
    readout_ms: f64,
    what: &'static str,
}

const fn sensor(
    model: &'static str,
    (width, height): (u32, u32),
    pixel_um: f64,
    bit_depth: u32,
    readout_ms: f64,
    what: &'static str,
) -> Sensor {
    Sensor {
        model,
        width,
        height,
        pixel_um,
        bit_depth,
        readout_ms,
        what,
    }
}

#[rustfmt::skip]
const SENSORS: [Sensor; 7] = [
    sensor("MER2-1220-32U3M", (4024, 3036), 1.85, 12, 31.0, "Daheng MER2, IMX226, USB3 Vision"),
    sensor("MER2-630-60U3M", (3088, 2064), 2.4, 12, 17.0, "Daheng MER2, IMX178, USB3 Vision"),
    sensor("ITR3CMOS26000KMA", (6224, 4168), 3.76, 16, 63.0, "ToupTek, IMX571"),
    sensor("C15440-20UP", (2304, 2304), 6.5, 16, 11.0, "Hamamatsu ORCA-Fusion BT"),
    sensor("KINETIX", (3200, 3200), 6.5, 16, 12.0, "Teledyne Photometrics Kinetix"),
    sensor("DHYANA-400BSI-V3", (2048, 2048), 6.5, 16, 10.0, "Tucsen Dhyana 400BSI V3"),
    sensor("ZYLA-4.2P-USB3-C", (2048, 2048), 6.5, 16, 19.0, "Andor Zyla 4.2 PLUS, USB3"),
];

/// Squid's A1 centres per plate format (`sample_formats.csv`), in stage mm.
const SQUID_A1: [(u32, f64, f64); 6] = [
    (6, 24.55, 23.01),
    (12, 24.75, 16.86),
    (24, 24.45, 22.07),
    (96, 11.31, 10.75),
    (384, 12.05, 9.05),
    (1536, 11.01, 7.87),
];

/// Squid's standard channels (`illumination_channel_config.yaml`) that the board drives:
/// name, Squid's controller port, excitation wavelength (nm).
const CHANNELS: [(&str, &str, Option<f64>); 6] = [
    ("BF LED matrix full", "USB1", None),
    ("Fluorescence 405 nm Ex", "D1", Some(405.0)),
    ("Fluorescence 488 nm Ex", "D2", Some(488.0)),
    ("Fluorescence 561 nm Ex", "D3", Some(561.0)),
    ("Fluorescence 638 nm Ex", "D4", Some(638.0)),
    ("Fluorescence 730 nm Ex", "D5", Some(730.0)),
];

/// The board output Squid names `port` (`D1`–`D5`, `USB1`: the LED matrix's full pattern,
/// the one pattern the driver lights), with squidctl's standard source name for it.
fn board_output(name: &str) -> Option<(&'static str, Output)> {
    STANDARD_SOURCES
        .into_iter()
        .find(|(_, o)| o.squid_port() == name)
}

/// Where Squid keeps a rig's channel table, relative to its configuration file.
pub const CHANNEL_TABLE: &str = "../machine_configs/illumination_channel_config.yaml";

pub struct Options {
    pub objective: String,
    /// Squid's `illumination_channel_config.yaml`; else the one beside the configuration
    /// file where Squid keeps it, else Squid's standard table.
    pub channels: Option<std::path::PathBuf>,
}

/// A channel: its name, Squid's controller port, its excitation wavelength (nm).
type ChannelRow = (String, String, Option<f64>);

/// A rig's channel table, with notes on what was left out.
fn channel_table(path: &Path) -> Result<(Vec<ChannelRow>, Vec<String>), Diagnostics> {
    use super::tree::{self, err, get};
    let root = tree::load(path)?;
    let mut notes = Vec::new();
    if let Some(map) = get(&root, "controller_port_mapping") {
        for (port, code) in tree::entries(map) {
            let wired = board_output(&port).map(|(_, o)| o.source_code());
            let given = tree::whole(code, "a source code")?;
            if wired.is_some_and(|w| u32::from(w) != given) {
                notes.push(format!(
                    "{} maps {port} to source {given}; the squid driver drives {port} as Squid wires it by default ({})",
                    path.display(),
                    wired.unwrap_or_default()
                ));
            }
        }
    }
    let Some(list) = get(&root, "channels").and_then(tree::items) else {
        return Err(err(&root, "no `channels:` list")
            .help("give Squid's illumination_channel_config.yaml")
            .into());
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for c in list {
        let name = tree::text(
            get(c, "name").ok_or_else(|| err(c, "a channel without a `name`"))?,
            "name",
        )?;
        let port = tree::text(
            get(c, "controller_port")
                .ok_or_else(|| err(c, format!("channel `{name}` has no `controller_port`")))?,
            "controller_port",
        )?;
        let wl = tree::opt_num(c, "wavelength_nm")?;
        if board_output(&port).is_some() {
            out.push((name, port, wl));
        } else {
            skipped.push(format!("{name} ({port})"));
        }
    }
    if !skipped.is_empty() {
        notes.push(format!(
            "channels on LED matrix patterns other than the full one (USB1) are left out: {}",
            skipped.join(", ")
        ));
    }
    if out.is_empty() {
        return Err(err(&root, "no channel on a port squidctl drives (D1–D5, USB1)").into());
    }
    Ok((out, notes))
}

pub fn import(path: &Path, opts: &Options) -> Result<Imported, Diagnostics> {
    let text = crate::yaml::read_text(path)?;
    let ini = Ini::parse(SourceFile::new(path.display().to_string(), text))?;
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into(),
    );
    let r = Reader {
        ini: &ini,
        errors: RefCell::new(Diagnostics::default()),
    };
    let mut notes = Vec::new();

    let Some(&(obj_name, obj_mag, obj_na, obj_tube)) = OBJECTIVES
        .iter()
        .find(|o| o.0.eq_ignore_ascii_case(&opts.objective))
    else {
        let names: Vec<&str> = OBJECTIVES.iter().map(|o| o.0).collect();
        return Err(
            Diagnostic::new(format!("unknown objective `{}`", opts.objective))
                .help(format!(
                    "use one of Squid's objectives: {} ({})",
                    names.join(", "),
                    crate::suggest::did_you_mean(&opts.objective, names.iter().copied())
                ))
                .into(),
        );
    };

    let mut d = Doc::default();
    d.comment(
        0,
        &format!(
            "Imported by `squidctl import squid-config` from {file_name}.\n\
             Each value names the Squid key it came from; keys with no equivalent are listed at\n\
             the end. Check it with `squidctl devices --microscope THIS_FILE`."
        ),
    );
    let stem = path
        .file_stem()
        .map_or("squid".into(), |s| s.to_string_lossy().to_string());
    let name = stem
        .strip_prefix("configuration_")
        .unwrap_or(&stem)
        .to_string();
    d.kv(0, "name", &y::text(&name), "");
    d.kv(0, "driver", "squid", "");

    stage(&r, &mut d, &mut notes);
    camera(&r, &mut d, &mut notes);
    objective(&r, &mut d, (obj_name, obj_mag, obj_na, obj_tube));
    lights(&r, &mut d, &mut notes);
    let table = channels(&r, &mut d, &mut notes, path, opts);
    board(&r, &mut d, &mut notes);
    key_lists(&ini, &mut d, &mut notes, &file_name);
    notes.push(format!("objective {obj_name} (change with --objective)"));
    if !table {
        notes.push(format!(
            "channels are Squid's standard table: no {CHANNEL_TABLE} beside the file, and no --channels"
        ));
    }
    let errors = r.errors.into_inner();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Imported {
        text: d.finish(),
        notes,
        companions: Vec::new(),
    })
}

/// Travel, plate origin, focus and the motion of each axis.
fn stage(r: &Reader, d: &mut Doc, notes: &mut Vec<String>) {
    d.line(0, "stage:");
    d.line(2, "travel:");
    // Squid's own limits when the file has none (control/_def.py, SOFTWARE_POS_LIMIT).
    let squid_limits = [("x", -0.5, 56.0), ("y", -0.5, 56.0), ("z", 0.05, 7.0)];
    for (axis, dlo, dhi) in squid_limits {
        let lo = r.num("SOFTWARE_POS_LIMIT", &format!("{axis}_negative"));
        let hi = r.num("SOFTWARE_POS_LIMIT", &format!("{axis}_positive"));
        let note = match (lo, hi) {
            (Some(_), Some(_)) => format!("[SOFTWARE_POS_LIMIT] {axis}_negative, {axis}_positive"),
            _ => {
                notes.push(format!(
                    "[SOFTWARE_POS_LIMIT] lacks {axis} limits: Squid's defaults are used; check them against the stage"
                ));
                format!(
                    "[SOFTWARE_POS_LIMIT] {axis}: not all in the file, Squid's defaults fill in"
                )
            }
        };
        let (lo, hi) = (lo.unwrap_or(dlo), hi.unwrap_or(dhi));
        if lo >= hi {
            r.push(
                Diagnostic::new(format!(
                    "the {axis} limits are {} mm to {} mm: no travel",
                    y::num(lo),
                    y::num(hi)
                ))
                .in_file(&r.ini.file.name)
                .help(format!(
                    "set [SOFTWARE_POS_LIMIT] {axis}_negative below {axis}_positive"
                )),
            );
        }
        d.kv(4, axis, &format!("[{}, {}]", y::mm(lo), y::mm(hi)), &note);
    }
    let plate = r.ini.text(G, "wellplate_format");
    let (ox, oy) = (
        r.num(G, "wellplate_offset_x_mm").unwrap_or(0.0),
        r.num(G, "wellplate_offset_y_mm").unwrap_or(0.0),
    );
    let origin = plate
        .as_deref()
        .and_then(|p| p.parse::<u32>().ok())
        .and_then(|n| {
            let (_, ax, ay) = SQUID_A1.iter().find(|s| s.0 == n)?;
            let g = crate::plan::plate::PlateGeometry::sbs(n)?;
            Some((n, ax + ox - g.a1_x_mm, ay + oy - g.a1_y_mm))
        });
    match origin {
        Some((n, x, yv)) => d.kv(
            2,
            "plate_origin",
            &format!("{{x: {}, y: {}}}", y::mm(x), y::mm(yv)),
            &format!(
                "Squid's {n}-well A1 (sample_formats.csv) + wellplate_offset_x/y_mm, less the SBS A1 offset"
            ),
        ),
        None => d.kv(
            2,
            "plate_origin",
            "{x: 0mm, y: 0mm}",
            "no well plate format in the file: calibrate plate.a1_position per protocol",
        ),
    }
    let focus = r.num(G, "default_z_pos_mm");
    d.kv(
        2,
        "focus_z",
        &y::mm(focus.unwrap_or(2.0)),
        if focus.is_some() {
            "default_z_pos_mm"
        } else {
            "not in the file: Squid's DEFAULT_Z_POS_MM"
        },
    );
    d.comment(
        2,
        "The board's TMC4361A ramps with S-curves; settle adds ~20 ms for its move-done report.",
    );
    for (key, axes) in [("xy", &["x", "y"][..]), ("z", &["z"][..])] {
        let pick = |vals: Vec<Option<f64>>, min: bool| {
            vals.into_iter()
                .flatten()
                .reduce(|a, b| if min == (a < b) { a } else { b })
        };
        let speed = pick(
            axes.iter()
                .map(|a| r.num(G, &format!("max_velocity_{a}_mm")))
                .collect(),
            true,
        );
        let accel = pick(
            axes.iter()
                .map(|a| r.num(G, &format!("max_acceleration_{a}_mm")))
                .collect(),
            true,
        );
        let settle = pick(
            axes.iter()
                .map(|a| r.num(G, &format!("scan_stabilization_time_ms_{a}")))
                .collect(),
            false,
        );
        let keys = |k: &str| {
            axes.iter()
                .map(|a| k.replace('@', a))
                .collect::<Vec<_>>()
                .join("/")
        };
        d.line(2, &format!("{key}:"));
        d.kv(4, "profile", "s-curve", "");
        d.kv(
            4,
            "speed",
            &format!(
                "{}mm/s",
                y::num(speed.unwrap_or(if key == "xy" { 30.0 } else { 3.8 }))
            ),
            &or_default(speed.is_some(), &keys("max_velocity_@_mm")),
        );
        d.kv(
            4,
            "acceleration",
            &format!(
                "{}mm/s2",
                y::num(accel.unwrap_or(if key == "xy" { 500.0 } else { 100.0 }))
            ),
            &or_default(accel.is_some(), &keys("max_acceleration_@_mm")),
        );
        d.kv(
            4,
            "settle",
            &y::ms(settle.unwrap_or(if key == "xy" { 25.0 } else { 20.0 }) + 20.0),
            &format!(
                "{} + 20 ms",
                or_default(settle.is_some(), &keys("scan_stabilization_time_ms_@"))
            ),
        );
        if key == "z" {
            piezo(r, d);
        }
    }
}

/// The objective piezo, when the file says the rig has one (`z_motor_config: STEPPER +
/// PIEZO`, or the older `has_objective_piezo`): its range, rest position, settle and direction.
fn piezo(r: &Reader, d: &mut Doc) {
    let config = r.ini.text(G, "z_motor_config");
    let has = match &config {
        Some(c) => c.to_ascii_uppercase().contains("PIEZO"),
        None => r.flag(G, "has_objective_piezo").unwrap_or(false),
    };
    if !has {
        return;
    }
    let range = r.num(G, "objective_piezo_range_um");
    let home = r.num(G, "objective_piezo_home_um");
    let settle = r.num(G, "multipoint_piezo_delay_ms");
    let flip = r.flag(G, "objective_piezo_flip_dir");
    d.line(4, "piezo:");
    d.kv(
        6,
        "range",
        &format!("{}um", y::num(range.unwrap_or(300.0))),
        &or_default(range.is_some(), "objective_piezo_range_um"),
    );
    d.kv(
        6,
        "home",
        &format!("{}um", y::num(home.unwrap_or(20.0))),
        &or_default(home.is_some(), "objective_piezo_home_um"),
    );
    d.kv(
        6,
        "settle",
        &y::ms(settle.unwrap_or(20.0)),
        &or_default(settle.is_some(), "multipoint_piezo_delay_ms"),
    );
    d.kv(
        6,
        "flip",
        if flip.unwrap_or(false) {
            "true"
        } else {
            "false"
        },
        &or_default(flip.is_some(), "objective_piezo_flip_dir"),
    );
}

/// The main camera: a known sensor at its crop, binning and bit depth.
fn camera(r: &Reader, d: &mut Doc, notes: &mut Vec<String>) {
    let cam_type = r
        .ini
        .text(G, "camera_type")
        .unwrap_or_else(|| "Default".into());
    let model = r.ini.text(G, "main_camera_model");
    let sensor = model
        .as_deref()
        .or((cam_type == "Default").then_some("MER2-1220-32U3M"))
        .and_then(|m| SENSORS.iter().find(|s| s.model.eq_ignore_ascii_case(m)));
    let crop_w = r.num("CAMERA_CONFIG", "crop_width_unbinned");
    let crop_h = r.num("CAMERA_CONFIG", "crop_height_unbinned");
    let binning = r.num("CAMERA_CONFIG", "binning_factor_default");
    let format = r.ini.text("CAMERA_CONFIG", "pixel_format_default");
    d.comment(
        0,
        "squidctl has no driver for this camera's own SDK, so frames are simulated at the real\n\
         sensor size. A USB3 Vision or GigE camera (Daheng MER2) can be driven through Aravis:\n\
         build with `--features genicam` and set `driver: {name: genicam, serial_number: …}`.",
    );
    d.line(0, "camera:");
    d.kv(2, "driver", "sim", "");
    let (sw, sh, px, depth, readout) = match sensor {
        Some(s) => {
            d.kv(
                2,
                "model",
                &y::text(s.model),
                &format!("{}; main_camera_model, camera_type {cam_type}", s.what),
            );
            (s.width, s.height, s.pixel_um, s.bit_depth, s.readout_ms)
        }
        None => {
            let m = model.clone().unwrap_or_else(|| cam_type.clone());
            notes.push(format!(
                "the camera `{m}` is not one squidctl knows: the sensor size is the crop size and the pixel size Squid's default (1.85 µm); check camera.pixel_size"
            ));
            d.kv(
                2,
                "model",
                &y::text(&m),
                "unknown to squidctl: sensor from the crop size, CHECK pixel_size",
            );
            (
                crop_w.unwrap_or(2048.0) as u32,
                crop_h.unwrap_or(2048.0) as u32,
                1.85,
                16,
                30.0,
            )
        }
    };
    let (w, wnote) = cropped(sw, crop_w, "crop_width_unbinned");
    let (h, hnote) = cropped(sh, crop_h, "crop_height_unbinned");
    d.kv(2, "width", &w.to_string(), &wnote);
    d.kv(2, "height", &h.to_string(), &hnote);
    d.kv(2, "pixel_size", &y::um(px), "the sensor's");
    let fmt_depth = format
        .as_deref()
        .and_then(|f| {
            f.to_ascii_uppercase()
                .strip_prefix("MONO")?
                .parse::<u32>()
                .ok()
        })
        .filter(|b| (8..=16).contains(b));
    d.kv(
        2,
        "bit_depth",
        &fmt_depth.unwrap_or(depth).to_string(),
        if fmt_depth.is_some() {
            "pixel_format_default"
        } else {
            "the sensor's"
        },
    );
    d.kv(
        2,
        "readout",
        &y::ms(readout),
        "the sensor's full-frame rate",
    );
    d.kv(
        2,
        "exposure_min",
        "100us",
        "not in the file: check the camera's range",
    );
    d.kv(2, "exposure_max", "10s", "");
    d.kv(2, "gain_min", "0", "");
    d.kv(2, "gain_max", "24", "");
    let bin = binning.map_or(1, |b| b.max(1.0) as u32);
    if w % bin != 0 || h % bin != 0 {
        r.push(
            Diagnostic::new(format!(
                "binning {bin} does not divide the {w} × {h} image"
            ))
            .in_file(&r.ini.file.name)
            .help("set crop_width_unbinned and crop_height_unbinned to multiples of binning_factor_default"),
        );
    }
    d.kv(
        2,
        "binning",
        &bin.to_string(),
        if binning.is_some() {
            "binning_factor_default"
        } else {
            ""
        },
    );
}

/// The objective behind Squid's tube lens, so the pixel size is Squid's.
fn objective(
    r: &Reader,
    d: &mut Doc,
    (obj_name, obj_mag, obj_na, obj_tube): (&str, f64, f64, f64),
) {
    let tube = r.num(G, "tube_lens_mm");
    let tube_mm = tube.unwrap_or(50.0);
    d.line(0, "objective:");
    d.kv(
        2,
        "name",
        &y::text(&format!("{obj_name}/{obj_na}")),
        "--objective (Squid's objectives.csv)",
    );
    d.kv(
        2,
        "magnification",
        &y::num(obj_mag * tube_mm / obj_tube),
        &format!(
            "{obj_name} (for a {} mm tube lens) behind Squid's {} mm tube lens{}",
            y::num(obj_tube),
            y::num(tube_mm),
            if tube.is_some() {
                " (tube_lens_mm)"
            } else {
                " (not in the file: Squid's TUBE_LENS_MM)"
            }
        ),
    );
}

/// The board's light switching, and the emission filter wheel.
fn lights(r: &Reader, d: &mut Doc, notes: &mut Vec<String>) {
    d.comment(
        0,
        "The board answers each command with its next status packet, ~10 ms later.",
    );
    d.line(0, "illumination:");
    d.kv(2, "switch_time", "15ms", "");
    d.kv(2, "on_off_time", "21ms", "");
    let wheel = r.flag(G, "USE_EMISSION_FILTER_WHEEL");
    let wheel_type = r.ini.text(G, "EMISSION_FILTER_WHEEL_TYPE");
    if wheel == Some(true) {
        if wheel_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("SQUID"))
        {
            d.line(0, "filter_wheel:");
            d.kv(
                2,
                "positions",
                "8",
                "USE_EMISSION_FILTER_WHEEL, type SQUID (SQUID_FILTERWHEEL_MAX_INDEX)",
            );
            d.kv(2, "step_time", "60ms", "");
        } else {
            notes.push(format!(
                "the emission filter wheel `{}` is not driven by squidctl: left out",
                wheel_type.unwrap_or_default()
            ));
        }
    }
}

/// The rig's channel table, or Squid's standard one; whether the rig's was found.
fn channels(r: &Reader, d: &mut Doc, notes: &mut Vec<String>, path: &Path, opts: &Options) -> bool {
    let table = opts.channels.clone().or_else(|| {
        // `configurations/x.ini` → `machine_configs/…`, named without the `..`.
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let dir = std::fs::canonicalize(dir.unwrap_or(Path::new("."))).ok()?;
        let beside = dir.parent()?.join(CHANNEL_TABLE.trim_start_matches("../"));
        beside.is_file().then_some(beside)
    });
    let channels = match &table {
        Some(t) => match channel_table(t) {
            Ok((list, more)) => {
                notes.extend(more);
                notes.push(format!("channels from {}", t.display()));
                d.comment(
                    0,
                    &format!(
                        "The channels of {} on the board's outputs.",
                        t.file_name().map_or_else(
                            || t.display().to_string(),
                            |f| f.to_string_lossy().into()
                        )
                    ),
                );
                list
            }
            Err(e) => {
                for x in e.0 {
                    r.push(x);
                }
                Vec::new()
            }
        },
        None => {
            d.comment(
                0,
                "Squid's standard channels on the board's outputs (illumination_channel_config.yaml).\n\
                 Rename them, or add emission wavelengths, to match your filters.",
            );
            CHANNELS
                .iter()
                .map(|(n, p, w)| (n.to_string(), p.to_string(), *w))
                .collect()
        }
    };
    d.line(0, "channels:");
    for (n, port, wl) in &channels {
        let source = board_output(port).map_or("led-matrix", |(s, _)| s);
        let wl = wl.map_or(String::new(), |w| format!(", wavelength: {}nm", y::num(w)));
        d.line(
            2,
            &format!("- {{name: {}, source: {source}{wl}}}  # {port}", y::text(n)),
        );
    }
    table.is_some()
}

/// The `squid:` section: where the board is and how its axes are built.
fn board(r: &Reader, d: &mut Doc, notes: &mut Vec<String>) {
    d.comment(0, "The board: where it is and how its axes are built.");
    d.line(0, "squid:");
    match r.ini.text(G, "controller_sn") {
        Some(sn) => d.kv(2, "serial_number", &y::text(&sn), "controller_sn"),
        None => d.comment(
            2,
            "port: /dev/ttyACM0   (controller_sn is None: set the port or the serial number)",
        ),
    }
    let homing: Vec<Option<bool>> = ["x", "y", "z"]
        .iter()
        .map(|a| r.flag(G, &format!("homing_enabled_{a}")))
        .collect();
    if homing.contains(&Some(false)) {
        d.kv(
            2,
            "home",
            "false",
            "homing_enabled_x/y/z: some axis is not homed, so none is",
        );
        notes.push(
            "homing is off for some axis in the file; squidctl homes all axes or none: home is false"
                .into(),
        );
    }
    if let Some(f) = r.num(G, "illumination_intensity_factor") {
        d.kv(
            2,
            "intensity_factor",
            &y::num((f * 100.0).round()),
            "illumination_intensity_factor × 100",
        );
    }
    // The safety margin and anything missing: squidctl's defaults (Squid's _def.py).
    let defaults = SquidSettings::default();
    for (axis, dflt) in [("x", &defaults.x), ("y", &defaults.y), ("z", &defaults.z)] {
        let mut parts = Vec::new();
        let mut keys = Vec::new();
        let mut field = |name: &str, key: String, value: Option<String>| {
            if let Some(v) = value {
                parts.push(format!("{name}: {v}"));
                keys.push(key);
            }
        };
        let k = |s: &str| s.replace('@', axis);
        let sign = r.num(G, &k("stage_movement_sign_@"));
        let pos_sign = r.num(G, &k("stage_pos_sign_@"));
        if pos_sign.is_some() && pos_sign != sign {
            notes.push(format!(
                "stage_pos_sign_{axis} differs from stage_movement_sign_{axis}: squidctl uses one sign for moving and reading, the movement's"
            ));
        }
        field("sign", k("stage_movement_sign_@"), sign.map(y::num));
        let pitch = r.num(G, &k("screw_pitch_@_mm"));
        field("pitch", k("screw_pitch_@_mm"), pitch.map(y::mm));
        let micro = r.num(G, &k("microstepping_default_@"));
        field(
            "microstepping",
            k("microstepping_default_@"),
            micro.map(y::num),
        );
        let full = r.num(G, &k("fullsteps_per_rev_@"));
        field("full_steps", k("fullsteps_per_rev_@"), full.map(y::num));
        let current = r.num(G, &k("@_motor_rms_current_ma"));
        field("current", k("@_motor_rms_current_ma"), current.map(y::num));
        let hold = r.num(G, &k("@_motor_i_hold"));
        field("hold", k("@_motor_i_hold"), hold.map(y::num));
        let sw = r.num("LIMIT_SWITCH_POLARITY", &format!("{axis}_home"));
        field(
            "switch",
            format!("[LIMIT_SWITCH_POLARITY] {axis}_home"),
            sw.map(|v| {
                u8::try_from(v as i64)
                    .ok()
                    .and_then(SwitchPolarity::from_wire)
                    .unwrap_or(SwitchPolarity::Ignored)
                    .name()
                    .to_string()
            }),
        );
        let have = |n: &str| parts.iter().any(|p| p.starts_with(&format!("{n}:")));
        let mut filled = vec![format!("safety_margin: {}", dflt.safety_margin)];
        if !have("sign") {
            filled.push(format!("sign: {}", dflt.sign));
        }
        if !have("pitch") {
            filled.push(format!("pitch: {}", dflt.pitch));
        }
        if !have("microstepping") {
            filled.push(format!("microstepping: {}", dflt.microstepping));
        }
        if !have("current") {
            filled.push(format!("current: {}", dflt.current));
        }
        if !have("switch") {
            filled.push(format!("switch: {}", dflt.switch.name()));
        }
        d.comment(
            2,
            &format!(
                "{axis}: {}; Squid's defaults: {}",
                keys.join(", "),
                filled
                    .iter()
                    .map(|f| f.split(':').next().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        parts.extend(filled);
        d.line(2, &format!("{axis}: {{{}}}", parts.join(", ")));
    }

    if r.flag(G, "support_laser_autofocus") == Some(true) {
        let model = r.ini.text(G, "focus_camera_model").unwrap_or_default();
        let exp = r.num(G, "focus_camera_exposure_time_ms");
        d.comment(
            0,
            &format!(
                "support_laser_autofocus: the reflection autofocus camera ({model}) needs the genicam\n\
                 driver and a calibration (`squidctl calibrate-af`); uncomment and set its serial:\n\
                 laser_autofocus:\n\
                 \x20 driver: {{name: genicam, serial_number: SERIAL, pixel_format: Mono8}}\n\
                 \x20 range: 200um\n\
                 \x20 measure_time: 40ms\n\
                 \x20 exposure: {}\n\
                 \x20 calibration: laser-af.calibration.yaml",
                y::ms(exp.unwrap_or(0.8))
            ),
        );
        notes.push(format!(
            "the laser autofocus ({model}) is described in a comment: set its camera's serial number and uncomment it"
        ));
    }
}

/// Every key read, and every key with no equivalent, at the end of the file.
fn key_lists(ini: &Ini, d: &mut Doc, notes: &mut Vec<String>, file_name: &str) {
    d.blank();
    let used: Vec<String> = ini.used().map(|e| key_name(&e.section, &e.key)).collect();
    let (unused, options) = ini.unused();
    let unused: Vec<String> = unused
        .iter()
        .map(|e| key_name(&e.section, &e.key))
        .collect();
    for l in y::comment_lines(
        &format!("Read from {file_name} ({} keys):", used.len()),
        &used,
        92,
    ) {
        d.raw(l);
    }
    if !unused.is_empty() {
        for l in y::comment_lines(
            &format!(
                "Not used, no equivalent in squidctl ({} keys; also {options} `_…_options` GUI lists):",
                unused.len()
            ),
            &unused,
            92,
        ) {
            d.raw(l);
        }
    }
    notes.push(format!(
        "{} keys of {file_name} used, {} without an equivalent (listed at the end of the file), {options} GUI option lists skipped",
        used.len(),
        unused.len()
    ));
}

/// Reads values and gathers every bad one, so the user sees all problems at once.
struct Reader<'a> {
    ini: &'a Ini,
    errors: RefCell<Diagnostics>,
}

impl Reader<'_> {
    fn num(&self, section: &str, key: &str) -> Option<f64> {
        self.ini.number(section, key).unwrap_or_else(|e| {
            self.push(e);
            None
        })
    }

    fn flag(&self, section: &str, key: &str) -> Option<bool> {
        self.ini.flag(section, key).unwrap_or_else(|e| {
            self.push(e);
            None
        })
    }

    fn push(&self, d: Diagnostic) {
        self.errors.borrow_mut().push(d);
    }
}

fn key_name(section: &str, key: &str) -> String {
    if section.eq_ignore_ascii_case(G) {
        key.to_string()
    } else {
        format!("[{section}] {key}")
    }
}

fn or_default(found: bool, keys: &str) -> String {
    if found {
        keys.to_string()
    } else {
        format!("not in the file ({keys}): Squid's default")
    }
}

/// The image size: the sensor, or Squid's crop of it when the file sets a smaller one.
fn cropped(sensor: u32, crop: Option<f64>, key: &str) -> (u32, String) {
    match crop {
        Some(c) if c >= 1.0 && (c as u32) < sensor => {
            (c as u32, format!("{key} (sensor {sensor})"))
        }
        _ => (sensor, "the sensor's".into()),
    }
}
