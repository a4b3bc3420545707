//! Travel: every stage position the plan will command lies inside the stage's limits.

use super::*;

impl Builder<'_> {
    /// Every stage position the plan will command must lie inside the travel: FOV centres in
    /// x and y; the focus reference plus stack, channel offsets and autofocus search in z.
    pub(super) fn travel(
        &mut self,
        regions: &[(Region, Origin)],
        z_offsets: &[f64],
        channels: &[PlanChannel],
        af: &AutofocusPlan,
    ) {
        let tr = self.m.desc.stage.travel;
        let (xmin, xmax) = (tr.x[0].mm(), tr.x[1].mm());
        let (ymin, ymax) = (tr.y[0].mm(), tr.y[1].mm());
        let (zmin, zmax) = (tr.z[0].mm(), tr.z[1].mm());
        let mut dz_lo: f64 = 0.0;
        let mut dz_hi: f64 = 0.0;
        for c in channels {
            for z in if c.stack { z_offsets } else { &[0.0][..] } {
                dz_lo = dz_lo.min(z + c.z_offset_um);
                dz_hi = dz_hi.max(z + c.z_offset_um);
            }
        }
        if af.method != AfMethod::None {
            dz_lo = dz_lo.min(-af.range_um / 2.0);
            dz_hi = dz_hi.max(af.range_um / 2.0);
        }
        // (axis, value, limits) of the first offender per axis, and how many regions offend.
        let mut worst: BTreeMap<&str, (usize, f64, String, usize)> = BTreeMap::new();
        for (i, (r, _)) in regions.iter().enumerate() {
            let mut note = |axis: &'static str, v: f64, lim: String| {
                let e = worst.entry(axis).or_insert((i, v, lim, 0));
                e.3 += 1;
            };
            for &(x, _) in &r.fovs {
                if x < xmin - 1e-9 || x > xmax + 1e-9 {
                    note("x", x, format!("{xmin}–{xmax} mm"));
                    break;
                }
            }
            for &(_, y) in &r.fovs {
                if y < ymin - 1e-9 || y > ymax + 1e-9 {
                    note("y", y, format!("{ymin}–{ymax} mm"));
                    break;
                }
            }
            let lo = r.z_mm + dz_lo / 1000.0;
            let hi = r.z_mm + dz_hi / 1000.0;
            if lo < zmin - 1e-9 {
                note("z", lo, format!("{zmin}–{zmax} mm"));
            } else if hi > zmax + 1e-9 {
                note("z", hi, format!("{zmin}–{zmax} mm"));
            }
        }
        for (axis, (i, v, lim, n)) in worst {
            let (r, origin) = &regions[i];
            let more = if n > 1 {
                format!(" (and {} more)", n - 1)
            } else {
                String::new()
            };
            let what = match origin {
                Origin::Wells(_) => format!("well {}{more}", r.name),
                _ => format!("position `{}`{more}", r.name),
            };
            let msg = if axis == "z" {
                format!(
                    "{what} would move the stage to z = {v:.3} mm with its z stack, offsets and autofocus range, outside the z travel ({lim})"
                )
            } else {
                format!(
                    "{what} would move the stage to {axis} = {v:.3} mm with its FOVs, outside the {axis} travel ({lim})"
                )
            };
            let help = match (origin, axis) {
                (Origin::Wells(_), "z") | (_, "z") => {
                    "reduce the stack or offsets, or check the positions' z and the microscope's focus_z"
                }
                (Origin::Wells(_), _) => {
                    "check `plate.a1_position` (the calibration) and the well selection, or use fewer FOVs"
                }
                _ => {
                    "check the position's coordinates (in mm) against the microscope's stage travel"
                }
            };
            let d = match origin {
                Origin::Wells(loc) => Diagnostic::new(msg)
                    .at(Some(loc.clone()))
                    .path("plate.wells"),
                Origin::Position(path) => self.lp.err(&format!("{path}.{axis}"), msg),
                Origin::Csv(loc) => Diagnostic::new(msg).at(Some(loc.clone())),
            };
            self.errors.push(d.help(help));
        }
    }
}
