//! `squidctl import squid-acquisition`: a protocol that repeats an acquisition made in the
//! Squid GUI, from what Squid writes into each acquisition folder: `acquisition
//! parameters.json` (grid, z-stack, time-lapse, autofocus, objective), `coordinates.csv`
//! (every field of view, by region) and the channels used (`acquisition_channels.yaml`,
//! or `configurations.xml` from Squid before 2026).

use std::path::Path;

use super::tree::{self, err, get};
use super::yaml_out::{self as y, Doc};
use super::{Companion, Imported, collect};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::microscope::MicroscopeConfig;

pub const PARAMETERS: &str = "acquisition parameters.json";
const COORDINATES: &str = "coordinates.csv";
const CHANNELS_YAML: &str = "acquisition_channels.yaml";
const CHANNELS_XML: &str = "configurations.xml";

/// Squid's defaults for what the folder does not record (control/_def.py).
const FOVS_PER_AF: u32 = 3;
const AF_CHANNEL: &str = "BF LED matrix full";

/// The keys of `acquisition parameters.json` this importer reads; the rest are reported.
const KNOWN: [&str; 15] = [
    "dx(mm)",
    "Nx",
    "dy(mm)",
    "Ny",
    "dz(um)",
    "Nz",
    "dt(s)",
    "Nt",
    "with AF",
    "with reflection AF",
    "with manual focus map",
    "objective",
    "sensor_pixel_size_um",
    "tube_lens_mm",
    "confocal_mode",
];

pub(super) struct Channel {
    pub name: String,
    pub exposure_ms: f64,
    pub intensity: f64,
    pub gain: Option<f64>,
    pub z_offset_um: f64,
}

/// What both of Squid's forms (an acquisition's folder, a method's configuration) say about
/// the z-stack, the channels, the time-lapse and the autofocus.
pub(super) struct Stack<'a> {
    pub nz: u32,
    pub dz_um: f64,
    /// squidctl's `z.from`, and where it came from.
    pub from: (&'a str, &'a str),
    pub nt: u32,
    pub dt_s: f64,
    pub laser_af: bool,
    pub contrast_af: bool,
    pub channels: &'a [Channel],
}

/// The protocol's `z`, `channels`, `time` and `autofocus`, as Squid runs them: one
/// translation for both forms, so they cannot drift apart.
pub(super) fn emit_stack(d: &mut Doc, s: &Stack, notes: &mut Vec<String>) {
    let Stack {
        nz,
        dz_um: dz,
        from,
        nt,
        dt_s: dt,
        laser_af,
        contrast_af,
        channels,
    } = *s;
    if nz > 1 {
        d.line(0, "z:");
        d.kv(2, "count", &nz.to_string(), "Nz");
        d.kv(2, "step", &y::um(dz), "dz(um)");
        d.kv(2, "from", from.0, from.1);
    }
    d.line(0, "channels:");
    for c in channels {
        let mut extra = Vec::new();
        if let Some(g) = c.gain {
            extra.push(format!("gain: {}", y::num(g)));
        }
        if c.z_offset_um != 0.0 {
            extra.push(format!("z_offset: {}", y::um(c.z_offset_um)));
        }
        d.line(2, &y::channel(&c.name, c.exposure_ms, c.intensity, &extra));
    }
    if nt > 1 {
        d.line(0, "time:");
        d.kv(2, "every", &y::secs(dt), "dt(s)");
        d.kv(2, "count", &nt.to_string(), "Nt");
    }
    if laser_af || contrast_af {
        d.line(0, "autofocus:");
        if laser_af {
            d.kv(2, "method", "laser", "with reflection AF");
            d.kv(
                2,
                "every",
                "fov",
                "Squid's reflection autofocus runs at every FOV",
            );
            if contrast_af {
                notes.push(
                    "both autofocus methods were on; Squid uses the reflection autofocus then, and so does this protocol".into(),
                );
            }
        } else {
            d.kv(2, "method", "contrast", "with AF");
            d.kv(
                2,
                "every",
                &FOVS_PER_AF.to_string(),
                "Squid's NUMBER_OF_FOVS_PER_AF default",
            );
            if channels.iter().any(|c| c.name == AF_CHANNEL) {
                d.kv(
                    2,
                    "channel",
                    &y::text(AF_CHANNEL),
                    "Squid's MULTIPOINT_AUTOFOCUS_CHANNEL default",
                );
            }
        }
    }
}

pub fn import(dir: &Path, m: &MicroscopeConfig) -> Result<Imported, Diagnostics> {
    if !dir.is_dir() {
        return Err(
            Diagnostic::new(format!("{} is not a folder", dir.display()))
                .help(
                    "give the acquisition's folder, the one holding `acquisition parameters.json`",
                )
                .into(),
        );
    }
    let params_path = dir.join(PARAMETERS);
    if !params_path.is_file() {
        return Err(Diagnostic::new(format!(
            "{} has no `{PARAMETERS}`",
            dir.display()
        ))
        .help("give a folder Squid wrote for one acquisition (named after the experiment and its start time)")
        .into());
    }
    let params = tree::load(&params_path)?;
    if !tree::is_map(&params) {
        return Err(err(&params, "the acquisition parameters are not a JSON object").into());
    }
    let mut errors = Diagnostics::default();
    let mut notes = Vec::new();
    // Counts and steps are never negative; a count is whole.
    let mut number = |key: &str| match tree::opt_num(&params, key) {
        Ok(Some(v)) if v < 0.0 || (key.starts_with('N') && v.fract() != 0.0) => {
            if let Some(n) = get(&params, key) {
                errors.push(
                    err(n, format!("`{key}` is {v}")).help(if key.starts_with('N') {
                        "a count is a whole number of 1 or more"
                    } else {
                        "a step or interval is 0 or more"
                    }),
                );
            }
            None
        }
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let nx = number("Nx").unwrap_or(1.0).max(1.0) as u32;
    let ny = number("Ny").unwrap_or(1.0).max(1.0) as u32;
    let dx = number("dx(mm)").unwrap_or(0.0);
    let dy = number("dy(mm)").unwrap_or(0.0);
    let nz = number("Nz").unwrap_or(1.0).max(1.0) as u32;
    let dz = number("dz(um)").unwrap_or(1.0);
    let nt = number("Nt").unwrap_or(1.0).max(1.0) as u32;
    let dt = number("dt(s)").unwrap_or(0.0);
    let pixel = number("sensor_pixel_size_um");
    let tube = number("tube_lens_mm");
    let mut boolean =
        |key: &str| match get(&params, key).map(|n| tree::flag(n, &format!("`{key}`"))) {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                errors.push(e);
                false
            }
            None => false,
        };
    let contrast_af = boolean("with AF");
    let laser_af = boolean("with reflection AF");
    let focus_map = boolean("with manual focus map");
    let confocal = boolean("confocal_mode");
    let objective = get(&params, "objective");
    let obj_name = objective
        .and_then(|o| get(o, "name"))
        .and_then(|n| n.scalar_text());
    let obj_mag = objective.and_then(|o| tree::opt_num(o, "magnification").ok().flatten());
    let obj_tube = objective.and_then(|o| tree::opt_num(o, "tube_lens_f_mm").ok().flatten());
    for (k, _) in tree::entries(&params) {
        if !KNOWN.contains(&k.as_str()) {
            notes.push(format!(
                "`{k}` of {PARAMETERS} has no equivalent: not imported"
            ));
        }
    }

    let channels = collect(&mut errors, read_channels(dir)).unwrap_or_default();
    let coords = dir.join(COORDINATES);
    let positions = if coords.is_file() {
        collect(&mut errors, crate::protocol::positions_csv::read(&coords)).unwrap_or_default()
    } else {
        errors.push(
            Diagnostic::new(format!("{} has no `{COORDINATES}`", dir.display())).help(
                "Squid writes it at the start of every acquisition; without it the positions are unknown",
            ),
        );
        Vec::new()
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let folder = dir
        .canonicalize()
        .unwrap_or_else(|_| dir.to_path_buf())
        .file_name()
        .map_or_else(|| "squid".into(), |n| n.to_string_lossy().to_string());
    let name = experiment_name(&folder);
    let mut d = Doc::default();
    d.comment(
        0,
        &format!(
            "Imported by `squidctl import squid-acquisition` from the Squid acquisition {folder}.\n\
             Values are Squid's, in its units; comments say where each came from."
        ),
    );
    d.kv(0, "name", &y::text(&name), "");
    let obj_label = obj_name.clone().unwrap_or_else(|| "unknown".into());
    d.kv(
        0,
        "description",
        &y::text(&format!(
            "Squid acquisition {folder}, objective {obj_label}"
        )),
        "",
    );
    d.line(0, "metadata:");
    d.kv(2, "imported_from", &y::text(&folder), "");
    d.kv(2, "objective", &y::text(&obj_label), "");

    let regions: std::collections::HashSet<&str> =
        positions.iter().map(|p| p.region.as_str()).collect();
    let original = coords.canonicalize().unwrap_or_else(|_| coords.clone());
    d.kv(
        0,
        "positions",
        &y::text(&original.display().to_string()),
        &format!(
            "{COORDINATES}: {} FOVs in {} regions",
            positions.len(),
            regions.len()
        ),
    );
    let single = regions.len() == positions.len();
    let tiles = u64::from(nx) * u64::from(ny);
    if single && tiles > 100_000 {
        return Err(err(
            &params,
            format!("Nx {nx} × Ny {ny} fields of view per region"),
        )
        .help("check Nx and Ny in the acquisition parameters")
        .into());
    }
    if single && tiles > 1 {
        d.line(0, "fov:");
        d.comment(
            2,
            &format!(
                "Nx {nx} × Ny {ny} at dx {} mm, dy {} mm, snaking row by row",
                y::num(dx),
                y::num(dy)
            ),
        );
        d.line(2, "offsets:");
        for j in 0..ny {
            for k in 0..nx {
                let i = if j % 2 == 1 { nx - 1 - k } else { k };
                let ox = (i as f64 - (nx as f64 - 1.0) / 2.0) * dx;
                let oy = (j as f64 - (ny as f64 - 1.0) / 2.0) * dy;
                d.line(4, &format!("- {{x: {}, y: {}}}", y::mm(ox), y::mm(oy)));
            }
        }
    } else if tiles > 1 {
        notes.push(format!(
            "Nx {nx} × Ny {ny} is already laid out in {COORDINATES} (one row per FOV): not applied again"
        ));
    }
    if focus_map {
        notes.push(format!(
            "the acquisition used a focus map: each region's z is its {COORDINATES} z"
        ));
    }
    emit_stack(
        &mut d,
        &Stack {
            nz,
            dz_um: dz,
            from: (
                "bottom",
                "Squid's Z_STACKING_CONFIG default: the focus is the lowest plane",
            ),
            nt,
            dt_s: dt,
            laser_af,
            contrast_af,
            channels: &channels,
        },
        &mut notes,
    );
    if confocal {
        notes.push(
            "the acquisition was in confocal mode, which squidctl does not drive: the protocol images widefield".into(),
        );
    }
    // The field of view Squid had against the one this microscope has.
    if let (Some(px), Some(mag)) = (pixel, obj_mag) {
        let squid_um = px / (mag * tube.unwrap_or(50.0) / obj_tube.unwrap_or(180.0));
        let ours = m.pixel_um();
        if (squid_um - ours).abs() > 0.01 * ours {
            notes.push(format!(
                "Squid's pixel was {:.4} µm at the sample, {}'s is {:.4} µm: the same positions, but each image covers a different area",
                squid_um,
                m.desc.name,
                ours
            ));
        }
    }
    Ok(Imported {
        text: d.finish(),
        notes,
        companions: vec![Companion {
            original,
            copy_suffix: "_coordinates.csv".into(),
        }],
    })
}

/// Squid names the folder `<experiment>_<YYYY-MM-DD_HH-MM-SS.ffffff>`: the experiment.
fn experiment_name(folder: &str) -> String {
    let parts: Vec<&str> = folder.rsplitn(3, '_').collect();
    let looks_dated = parts.len() == 3
        && parts[1].len() == 10
        && parts[1].chars().filter(|c| *c == '-').count() == 2
        && parts[0].chars().next().is_some_and(|c| c.is_ascii_digit());
    if looks_dated && !parts[2].is_empty() {
        parts[2].to_string()
    } else {
        folder.to_string()
    }
}

fn read_channels(dir: &Path) -> Result<Vec<Channel>, Diagnostics> {
    let yaml = dir.join(CHANNELS_YAML);
    let xml = dir.join(CHANNELS_XML);
    let out = if yaml.is_file() {
        channels_yaml(&yaml)?
    } else if xml.is_file() {
        channels_xml(&xml)?
    } else {
        return Err(Diagnostic::new(format!(
            "{} has neither `{CHANNELS_YAML}` nor `{CHANNELS_XML}`",
            dir.display()
        ))
        .help("Squid records the channels of each acquisition in one of them; without it the exposures and intensities are unknown")
        .into());
    };
    if out.is_empty() {
        return Err(Diagnostic::new("the acquisition lists no channels")
            .in_file(
                if yaml.is_file() { yaml } else { xml }
                    .display()
                    .to_string(),
            )
            .into());
    }
    Ok(out)
}

/// Squid's current record: `channels:` with camera and illumination settings each.
fn channels_yaml(path: &Path) -> Result<Vec<Channel>, Diagnostics> {
    let root = tree::load(path)?;
    let Some(list) = get(&root, "channels").and_then(tree::items) else {
        return Err(err(&root, "no `channels:` list").into());
    };
    let mut out = Vec::new();
    let mut errors = Diagnostics::default();
    for c in list {
        let r = (|| -> Result<Channel, Diagnostic> {
            let name = tree::text(
                get(c, "name").ok_or_else(|| err(c, "a channel without a `name`"))?,
                "the name",
            )?;
            let mut cam = get(c, "camera_settings")
                .ok_or_else(|| err(c, format!("channel `{name}` has no `camera_settings`")))?;
            // Before 2026 the settings were keyed by camera id; the first camera is the main one.
            if get(cam, "exposure_time_ms").is_none()
                && let Some((_, first)) = tree::entries(cam).into_iter().next()
            {
                cam = first;
            }
            let exposure_ms = tree::num(
                get(cam, "exposure_time_ms").ok_or_else(|| {
                    err(cam, format!("channel `{name}` has no `exposure_time_ms`"))
                })?,
                "exposure_time_ms",
            )?;
            let gain = tree::opt_num(cam, "gain_mode")?.or(tree::opt_num(cam, "analog_gain")?);
            let ill = get(c, "illumination_settings").ok_or_else(|| {
                err(
                    c,
                    format!("channel `{name}` has no `illumination_settings`"),
                )
            })?;
            let intensity = tree::num(
                get(ill, "intensity")
                    .ok_or_else(|| err(ill, format!("channel `{name}` has no `intensity`")))?,
                "intensity",
            )?;
            let z_offset_um = match tree::opt_num(c, "z_offset_um")? {
                Some(z) => z,
                None => tree::opt_num(ill, "z_offset_um")?.unwrap_or(0.0),
            };
            Ok(Channel {
                name,
                exposure_ms,
                intensity,
                gain,
                z_offset_um,
            })
        })();
        match r {
            Ok(ch) => out.push(ch),
            Err(e) => errors.push(e),
        }
    }
    errors.into_result(out)
}

/// Squid's older record: `<mode … Selected="1">` elements, one per channel it offered.
fn channels_xml(path: &Path) -> Result<Vec<Channel>, Diagnostics> {
    let text = crate::yaml::read_text(path)?;
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<mode") {
        let after = &rest[start + 5..];
        let Some(end) = after.find('>') else { break };
        let attrs = xml_attributes(&after[..end]);
        rest = &after[end..];
        let attr = |k: &str| {
            attrs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.as_str())
        };
        if attr("Selected") != Some("1") {
            continue;
        }
        let line = text[..text.len() - rest.len()].lines().count();
        let number = |k: &str| -> Result<Option<f64>, Diagnostic> {
            attr(k)
                .map(|v| {
                    v.trim().parse::<f64>().map_err(|_| {
                        Diagnostic::new(format!("{k}=\"{v}\" is not a number"))
                            .in_file(format!("{}:{line}", path.display()))
                    })
                })
                .transpose()
        };
        let name = attr("Name").unwrap_or_default().to_string();
        out.push(Channel {
            exposure_ms: number("ExposureTime")?.unwrap_or(0.0),
            intensity: number("IlluminationIntensity")?.unwrap_or(0.0),
            gain: number("AnalogGain")?,
            z_offset_um: number("ZOffset")?.unwrap_or(0.0),
            name,
        });
    }
    Ok(out)
}

/// `Key="value"` pairs of one tag, with XML's five entities decoded.
fn xml_attributes(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(close) = after[1..].find(q) else {
            break;
        };
        let value = after[1..1 + close]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        out.push((key, value));
        rest = &after[close + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_name_drops_squid_timestamp() {
        assert_eq!(
            experiment_name("plate 7_2026-03-04_10-11-12.123456"),
            "plate 7"
        );
        assert_eq!(experiment_name("my_run"), "my_run");
    }

    #[test]
    fn xml_attributes_decode() {
        let a = xml_attributes(r#" ID="1" Name="BF &amp; DF" ExposureTime='12' Selected="1"/"#);
        assert_eq!(a[1], ("Name".to_string(), "BF & DF".to_string()));
        assert_eq!(a[2].1, "12");
        assert_eq!(a.len(), 4);
    }
}
