//! Squid's acquisition configuration — the dict its GUI saves as `acquisition.yaml`, and what
//! a Core Service scheduler stores as a method's `config` — as a squidctl protocol. The
//! z-stack, channels, time-lapse and autofocus go through the same translation as `import
//! squid-acquisition`; what has no equivalent is refused with a fault naming the key, never
//! dropped silently.

use serde_json::Value;

use super::Imported;
use super::squid_acquisition::{Channel, Stack, emit_stack};
use super::yaml_out::{self as y, Doc};
use crate::fault::{Code, Fault};

/// Squid's defaults for what a configuration leaves out (its `_def.py` and the Core
/// Service's grid route): channels are imaged at these unless they say otherwise.
const EXPOSURE_MS: f64 = 10.0;
const INTENSITY_PCT: f64 = 50.0;

/// Whether a parsed YAML/JSON document is in Squid's form rather than squidctl's: Squid's
/// always has its `acquisition` section, squidctl's never does.
pub fn is_squid_form(doc: &Value) -> bool {
    doc.get("acquisition").is_some_and(Value::is_object)
        || doc.get("wellplate_scan").is_some_and(Value::is_object)
}

fn no_equivalent(key: &str, why: &str) -> Fault {
    Fault::new(
        Code::NoEquivalent,
        format!("Squid's `{key}` has no squidctl equivalent: {why}"),
    )
    .component("method")
    .with("key", key)
}

fn bad(key: &str, why: String) -> Fault {
    Fault::new(Code::BadValue, format!("`{key}`: {why}"))
        .component("method")
        .with("key", key)
}

fn section<'a>(
    c: &'a Value,
    key: &str,
) -> Result<Option<&'a serde_json::Map<String, Value>>, Fault> {
    match c.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(bad(key, "not a section (a mapping of keys)".into())),
    }
}

fn num(
    m: Option<&serde_json::Map<String, Value>>,
    sec: &str,
    key: &str,
) -> Result<Option<f64>, Fault> {
    match m.and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(Some)
            .ok_or_else(|| {
                bad(
                    &format!("{sec}.{key}"),
                    format!("`{v}` is not a number of 0 or more"),
                )
            }),
    }
}

fn flag(m: Option<&serde_json::Map<String, Value>>, sec: &str, key: &str) -> Result<bool, Fault> {
    match m.and_then(|m| m.get(key)) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(bad(
            &format!("{sec}.{key}"),
            format!("`{v}` is not true or false"),
        )),
    }
}

fn count(m: Option<&serde_json::Map<String, Value>>, sec: &str, key: &str) -> Result<u32, Fault> {
    match num(m, sec, key)? {
        None => Ok(1),
        Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= 1e6 => Ok(v as u32),
        Some(v) => Err(bad(
            &format!("{sec}.{key}"),
            format!("{v} is not a count of 1 or more"),
        )),
    }
}

/// The wells as squidctl writes them: Squid's `"A1:B3"`, `"A1,A2"` or a list of names.
fn wells(v: &Value) -> Result<String, Fault> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Array(a) => a
            .iter()
            .map(|w| w.as_str().map(str::trim).map(String::from))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                bad(
                    "wellplate_scan.wells",
                    "a list of well names such as [A1, B2]".into(),
                )
            })?
            .join(", "),
        other => {
            return Err(bad(
                "wellplate_scan.wells",
                format!("`{other}` is not wells such as \"A1:B3\""),
            ));
        }
    };
    if text.is_empty() {
        return Err(bad(
            "wellplate_scan.wells",
            "empty: name the wells, e.g. \"A1:B3\"".into(),
        ));
    }
    Ok(text.replace(',', ", ").replace(",  ", ", "))
}

/// The plate's format from Squid's name for it (`"96 well plate"`).
pub fn plate_format(name: &str) -> Option<u32> {
    let digits: String = name
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .ok()
        .filter(|_| name.to_ascii_lowercase().contains("well"))
}

/// Convert `config` (Squid's acquisition configuration) into protocol text named `name`.
/// `fov_mm` is the microscope's field of view at the sample (to tile `scan_size_mm`).
pub fn convert(
    config: &Value,
    name: &str,
    fov_mm: (f64, f64),
    has_piezo: bool,
) -> Result<Imported, Fault> {
    if !config.is_object() {
        return Err(bad(
            "config",
            "Squid's acquisition configuration is a mapping of sections".into(),
        ));
    }
    let mut notes = Vec::new();
    let acq = section(config, "acquisition")?;
    match acq
        .and_then(|a| a.get("widget_type"))
        .and_then(Value::as_str)
    {
        None | Some("wellplate") => {}
        Some("flexible") => {
            return Err(no_equivalent(
                "acquisition.widget_type: flexible",
                "squidctl images wells of a plate; give a wellplate configuration with `wellplate_scan.wells`",
            ));
        }
        Some(o) => {
            return Err(bad(
                "acquisition.widget_type",
                format!("`{o}`: wellplate or flexible"),
            ));
        }
    }
    if flag(acq, "acquisition", "skip_saving")? {
        return Err(no_equivalent(
            "acquisition.skip_saving",
            "squidctl always saves what it acquires",
        ));
    }
    if flag(section(config, "fluidics")?, "fluidics", "enabled")? {
        return Err(no_equivalent(
            "fluidics.enabled",
            "squidctl drives no fluidics",
        ));
    }
    if section(config, "flexible_scan")?.is_some_and(|f| !f.is_empty()) {
        return Err(no_equivalent(
            "flexible_scan",
            "squidctl images wells of a plate",
        ));
    }
    let sample = section(config, "sample")?;
    let format_name = sample
        .and_then(|s| s.get("wellplate_format"))
        .and_then(Value::as_str)
        .unwrap_or("96 well plate");
    let format = plate_format(format_name).ok_or_else(|| {
        no_equivalent(
            &format!("sample.wellplate_format: {format_name}"),
            "squidctl images multi-well plates (\"96 well plate\", \"384 well plate\"…)",
        )
    })?;
    let scan = section(config, "wellplate_scan")?;
    if scan
        .and_then(|s| s.get("regions"))
        .is_some_and(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        return Err(no_equivalent(
            "wellplate_scan.regions",
            "regions placed by hand (their center_mm) are not wells of the plate; name the wells with `wellplate_scan.wells` (\"A1:B3\")",
        ));
    }
    let wells = match scan.and_then(|s| s.get("wells")) {
        Some(v) if !v.is_null() => wells(v)?,
        _ => {
            return Err(bad(
                "wellplate_scan.wells",
                "missing: name the wells to image, e.g. \"A1:B3\"".into(),
            ));
        }
    };
    let overlap = num(scan, "wellplate_scan", "overlap_percent")?.unwrap_or(10.0);
    if overlap >= 100.0 {
        return Err(bad(
            "wellplate_scan.overlap_percent",
            format!("{overlap} %: less than 100"),
        ));
    }
    // Squid tiles a square of `scan_size_mm` with FOVs stepped by (1 − overlap) × FOV.
    let scan_mm = num(scan, "wellplate_scan", "scan_size_mm")?.unwrap_or(0.0);
    let step = |fov: f64| fov * (1.0 - overlap / 100.0);
    let tiles = |fov: f64| {
        if scan_mm <= fov || step(fov) <= 0.0 {
            1
        } else {
            ((scan_mm - fov) / step(fov)).ceil() as u32 + 1
        }
    };
    let (columns, rows) = (tiles(fov_mm.0), tiles(fov_mm.1));
    if u64::from(columns) * u64::from(rows) > 10_000 {
        return Err(bad(
            "wellplate_scan.scan_size_mm",
            format!("{scan_mm} mm is {columns} × {rows} fields of view per well"),
        ));
    }
    let z = section(config, "z_stack")?;
    let nz = count(z, "z_stack", "nz")?;
    let dz_um = num(z, "z_stack", "delta_z_mm")?.unwrap_or(0.001) * 1000.0;
    let from = match z.and_then(|z| z.get("config")).and_then(Value::as_str) {
        None | Some("FROM BOTTOM") => ("bottom", "z_stack.config FROM BOTTOM"),
        Some("FROM CENTER") => ("center", "z_stack.config FROM CENTER"),
        Some("FROM TOP") => ("top", "z_stack.config FROM TOP"),
        Some(o) => {
            return Err(bad(
                "z_stack.config",
                format!("`{o}`: FROM BOTTOM, FROM CENTER or FROM TOP"),
            ));
        }
    };
    if flag(z, "z_stack", "use_piezo")? {
        if !has_piezo {
            return Err(no_equivalent(
                "z_stack.use_piezo",
                "this microscope describes no objective piezo (`stage.z.piezo`); its z-stacks step the stage",
            ));
        }
        notes.push(
            "z_stack.use_piezo: the microscope's objective piezo (stage.z.piezo) takes every plane within its reach".into(),
        );
    }
    let t = section(config, "time_series")?;
    let nt = count(t, "time_series", "nt")?;
    let dt_s = num(t, "time_series", "delta_t_s")?.unwrap_or(0.0);
    let af = section(config, "autofocus")?;
    let contrast_af = flag(af, "autofocus", "contrast_af")?;
    let laser_af = flag(af, "autofocus", "laser_af")?;
    let mut channels = Vec::new();
    match config.get("channels") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, c) in list.iter().enumerate() {
                let key = format!("channels[{i}]");
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad(&key, "a channel names itself (`name`)".into()))?;
                let field = |k: &str| c.get(k).and_then(Value::as_f64);
                let exposure = field("exposure_time").or(field("exposure_ms"));
                let intensity = field("illumination_intensity").or(field("intensity"));
                if exposure.is_none() || intensity.is_none() {
                    notes.push(format!(
                        "channel `{name}`: no {} in Squid's configuration, imaged at Squid's API default {}",
                        match (exposure, intensity) {
                            (None, None) => "exposure or intensity",
                            (None, _) => "exposure",
                            _ => "intensity",
                        },
                        match (exposure, intensity) {
                            (None, None) => format!("{EXPOSURE_MS} ms, {INTENSITY_PCT} %"),
                            (None, _) => format!("{EXPOSURE_MS} ms"),
                            _ => format!("{INTENSITY_PCT} %"),
                        }
                    ));
                }
                channels.push(Channel {
                    name: name.to_string(),
                    exposure_ms: exposure.unwrap_or(EXPOSURE_MS),
                    intensity: intensity.unwrap_or(INTENSITY_PCT),
                    gain: field("analog_gain").filter(|g| *g > 0.0),
                    z_offset_um: field("z_offset").unwrap_or(0.0),
                });
            }
        }
        _ => return Err(bad("channels", "name at least one channel".into())),
    }
    let mut d = Doc::default();
    d.comment(
        0,
        "Converted from Squid's acquisition configuration (a Core Service method).",
    );
    d.kv(0, "name", &y::text(name), "");
    if let Some(o) = section(config, "objective")?
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
    {
        d.line(0, "metadata:");
        d.kv(2, "objective", &y::text(o), "objective.name");
    }
    d.line(0, "plate:");
    d.kv(
        2,
        "format",
        &format.to_string(),
        &format!("sample.wellplate_format {format_name}"),
    );
    d.kv(2, "wells", &y::text(&wells), "wellplate_scan.wells");
    if rows * columns > 1 {
        d.line(0, "fov:");
        d.kv(
            2,
            "grid",
            &format!("{rows}x{columns}"),
            &format!("wellplate_scan.scan_size_mm {} mm tiled", y::num(scan_mm)),
        );
        d.kv(
            2,
            "overlap",
            &y::pct(overlap),
            "wellplate_scan.overlap_percent",
        );
    }
    emit_stack(
        &mut d,
        &Stack {
            nz,
            dz_um,
            from,
            nt,
            dt_s,
            laser_af,
            contrast_af,
            channels: &channels,
        },
        &mut notes,
    );
    Ok(Imported {
        text: d.finish(),
        notes,
        companions: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_quickstart_method_converts_and_what_has_no_equivalent_is_named() {
        let c = json!({
            "acquisition": {"widget_type": "wellplate"},
            "sample": {"wellplate_format": "96 well plate"},
            "z_stack": {"nz": 5, "delta_z_mm": 0.002},
            "time_series": {"nt": 1, "delta_t_s": 0},
            "channels": [{"name": "BF"}, {"name": "GFP", "exposure_time": 20, "illumination_intensity": 30}],
            "autofocus": {"contrast_af": false, "laser_af": true},
            "wellplate_scan": {"scan_size_mm": 1.5, "overlap_percent": 10, "wells": "A1:B3"}
        });
        let i = convert(&c, "m", (0.7, 0.7), false).expect("converts");
        assert!(i.text.contains("format: 96"), "{}", i.text);
        assert!(
            i.text.contains("wells: \"A1:B3\"") || i.text.contains("wells: A1:B3"),
            "{}",
            i.text
        );
        assert!(i.text.contains("grid: 3x3"), "{}", i.text);
        assert!(i.text.contains("count: 5"), "{}", i.text);
        assert!(i.text.contains("method: laser"), "{}", i.text);
        assert!(i.notes.iter().any(|n| n.contains("`BF`")), "{:?}", i.notes);
        let mut regions = c.clone();
        regions["wellplate_scan"]["regions"] = json!([{"name": "A1", "center_mm": [1, 2, 3]}]);
        let f = convert(&regions, "m", (0.7, 0.7), false)
            .err()
            .expect("refused");
        assert_eq!(f.code, 3006);
        assert_eq!(f.detail["key"], "wellplate_scan.regions");
        let mut piezo = c;
        piezo["z_stack"]["use_piezo"] = json!(true);
        assert_eq!(
            convert(&piezo, "m", (0.7, 0.7), false)
                .err()
                .map(|f| f.code),
            Some(3006)
        );
        let on_piezo = convert(&piezo, "m", (0.7, 0.7), true).expect("a rig with a piezo");
        assert!(on_piezo.notes.iter().any(|n| n.contains("stage.z.piezo")));
    }
}
