//! The imported protocol's YAML: useq's values in squidctl's keys, with a comment wherever
//! a value was derived (the plate, the grid, the stack, the time plan, the axis order).

use super::map::Acquisition;
use crate::import::yaml_out::{self as y, Doc};

/// The protocol text for `a`, read from `file` (named in the comments and the metadata).
pub fn protocol(a: &Acquisition, file: &str, stem: &str) -> String {
    let mut d = Doc::default();
    d.comment(
        0,
        &format!(
            "Imported by `squidctl import useq` from the useq-schema MDASequence {file}.\n\
             Lengths are useq's µm, exposures its ms; positions and offsets are written out so the\n\
             stage visits exactly what useq's own iteration would."
        ),
    );
    d.kv(0, "name", &y::text(stem), "");
    let mut meta = a.metadata.clone();
    meta.insert("imported_from".into(), file.into());
    d.kv(
        0,
        "metadata",
        &serde_json::Value::Object(meta).to_string(),
        "",
    );
    if let Some(n) = &a.plate_note {
        d.comment(0, n);
    }
    d.line(0, "positions:");
    for p in &a.positions {
        let z = p.z.map_or(String::new(), |z| format!(", z: {}", y::um(z)));
        d.line(
            2,
            &format!(
                "- {{name: {}, x: {}, y: {}{z}}}",
                y::text(&p.name),
                y::um(p.x),
                y::um(p.y)
            ),
        );
    }
    if a.offsets.len() > 1 {
        d.line(0, "fov:");
        d.comment(2, &a.offsets_from.join("; then "));
        d.line(2, "offsets:");
        for (ox, oy) in &a.offsets {
            d.line(4, &format!("- {{x: {}, y: {}}}", y::um(*ox), y::um(*oy)));
        }
    }
    if let Some(zs) = &a.z
        && zs.count > 1
    {
        d.line(0, "z:");
        d.comment(2, &zs.what);
        d.kv(2, "count", &zs.count.to_string(), "");
        d.kv(2, "step", &y::um(zs.step), "");
        d.kv(2, "from", zs.from, "");
    }
    d.line(0, "channels:");
    for c in &a.channels {
        let mut extra = Vec::new();
        if c.z_offset != 0.0 {
            extra.push(format!("z_offset: {}", y::um(c.z_offset)));
        }
        if c.acquire_every != 1 {
            extra.push(format!("acquire_every: {}", c.acquire_every));
        }
        if !c.do_stack {
            extra.push("do_stack: false".into());
        }
        d.line(2, &y::channel(&c.name, c.exposure_ms, c.intensity, &extra));
    }
    if let Some((every, count, what)) = &a.time
        && *count > 1
    {
        d.line(0, "time:");
        d.comment(2, what);
        d.kv(2, "every", &y::secs(*every), "");
        d.kv(2, "count", &count.to_string(), "");
    }
    let names: Vec<&str> = a
        .order
        .iter()
        .map(|a| match a {
            't' => "time",
            'p' => "well",
            'g' => "fov",
            'c' => "channel",
            _ => "z",
        })
        .collect();
    d.kv(
        0,
        "order",
        &format!("[{}]", names.join(", ")),
        &format!(
            "useq axis_order {}",
            a.axes.as_ref().map_or_else(
                || "tpgcz (default)".into(),
                |a| a.iter().collect::<String>()
            )
        ),
    );
    d.finish()
}
