//! Output: where and how the run is written (format, names, compression), the steps'
//! timeouts, and the names that would make two regions or channels write one file.

use super::*;

impl Builder<'_> {
    pub(super) fn output(&mut self) {
        let o = &self.lp.spec.output;
        use crate::protocol::schema::{BigTiff, Compression, ImageFormat};
        if (o.format, o.compression) == (ImageFormat::OmeZarr, Compression::Lzw) {
            self.err_help(
                "output.compression",
                "LZW is a TIFF compression; Zarr has no LZW codec",
                "use `deflate` (Zarr's gzip codec) or `zstd` for `format: ome-zarr`",
            );
        }
        if o.format == ImageFormat::OmeZarr && o.bigtiff == BigTiff::Always {
            self.err_help(
                "output.bigtiff",
                "`bigtiff` is a TIFF setting; an OME-Zarr store has no 4 GiB limit",
                "remove `bigtiff`",
            );
        }
        let mut known: Vec<String> = ["name", "date", "time", "timestamp"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let scalar = |v: &serde_json::Value| !(v.is_array() || v.is_object() || v.is_null());
        known.extend(
            self.lp
                .spec
                .metadata
                .iter()
                .filter(|(_, v)| scalar(v))
                .map(|(k, _)| k.clone()),
        );
        for (key, t) in [
            ("output.directory", &o.directory),
            ("output.run_name", &o.run_name),
        ] {
            match template::placeholders(t) {
                Err(m) => self.err_split(key, &m, None),
                Ok(names) => {
                    for n in names {
                        if let Some(v) = self.lp.spec.metadata.get(&n)
                            && !scalar(v)
                        {
                            self.err_help(
                                key,
                                format!("metadata `{n}` is a list or mapping, which cannot go into a name"),
                                format!("give `metadata.{n}` a single text or number value, or use another key"),
                            );
                            continue;
                        }
                        if !known.contains(&n) {
                            let help = format!(
                                "{}; other values come from `metadata` keys (set one with --set metadata.{n}=…)",
                                suggest::did_you_mean(&n, known.iter().map(String::as_str))
                            );
                            self.err_help(key, format!("unknown placeholder `{{{n}}}`"), help);
                        }
                    }
                }
            }
        }
        // The name as it would be rendered now: its length and characters are known.
        let vars = template_vars(
            &self.lp.spec.name,
            &self.lp.spec.metadata,
            &crate::clock::WallTime::now(),
        );
        if let Ok(name) = template::render(&o.run_name, &vars)
            && let Err(m) = names::check_run_name(&name)
        {
            self.err_split("output.run_name", &m, None);
        }
    }

    pub(super) fn timeouts(&mut self) {
        let t = self.lp.spec.timeouts.clone();
        for (k, v) in [
            ("move_xy", t.move_xy),
            ("move_z", t.move_z),
            ("capture", t.capture),
            ("illumination", t.illumination),
            ("autofocus", t.autofocus),
            ("save", t.save),
        ] {
            if v.is_some_and(|d| d.0 == 0) {
                self.err_help(
                    &format!("timeouts.{k}"),
                    "a timeout must be positive",
                    "leave it out to use a deadline derived from the work",
                );
            }
        }
    }

    /// Refuse names that would make two regions or channels write one file.
    pub(super) fn file_names(&mut self, regions: &[(Region, Origin)], channels: &[PlanChannel]) {
        let help = "file names keep only ASCII letters, digits, `-`, `.` and `+` (case is ignored, as on exFAT, NTFS and macOS disks); rename one of them";
        for c in names::region_clashes(regions.iter().map(|(r, _)| (r.name.as_str(), r.fovs.len())))
        {
            let (r, origin) = &regions[c.index];
            if r.name == regions[c.with].0.name {
                continue; // a position listed twice, reported as such
            }
            let msg = format!(
                "positions `{}` and `{}` would write to the same files: {}",
                regions[c.with].0.name, r.name, c.why
            );
            let d = match origin {
                Origin::Wells(loc) => Diagnostic::new(msg)
                    .at(Some(loc.clone()))
                    .path("plate.wells"),
                Origin::Position(path) => self.lp.err(&format!("{path}.name"), msg),
                Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help(help));
        }
        // A position's folder in an OME-Zarr store sits beside the store's own `zarr.json`.
        if self.lp.spec.output.format == crate::protocol::schema::ImageFormat::OmeZarr
            && let Some((r, origin)) = regions
                .iter()
                .find(|(r, _)| names::safe_name(&r.name).eq_ignore_ascii_case("zarr.json"))
        {
            let msg = format!(
                "position `{}` would be a folder named like the OME-Zarr store's own `zarr.json`",
                r.name
            );
            let d = match origin {
                Origin::Position(path) => self.lp.err(&format!("{path}.name"), msg),
                Origin::Wells(loc) | Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help("rename the position"));
        }
        for c in names::same_safe_names(channels.iter().map(|c| c.name.as_str())) {
            let name = &channels[c.index].name;
            let i = self
                .lp
                .spec
                .channels
                .iter()
                .rposition(|p| &p.name == name)
                .unwrap_or(c.index);
            self.err_help(
                &format!("channels[{i}].name"),
                format!(
                    "channels `{}` and `{name}` would write to the same files: {}",
                    channels[c.with].name, c.why
                ),
                help,
            );
        }
    }
}
