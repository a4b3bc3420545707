//! OME-XML for an OME-TIFF stack: dimensions, physical sizes (µm), channels with
//! wavelengths, and per-plane position, exposure and time.

use std::fmt::Write as _;

/// One plane as written (IFD order).
#[derive(Clone, Debug)]
pub struct PlaneMeta {
    pub the_z: u32,
    pub the_c: u32,
    pub delta_t_s: f64,
    pub exposure_s: f64,
    pub position_mm: (f64, f64, f64),
}

#[derive(Clone, Debug)]
pub struct ChannelMeta {
    pub name: String,
    pub excitation_nm: Option<f64>,
    pub emission_nm: Option<f64>,
}

#[derive(Clone, Debug)]
pub struct StackMeta {
    pub name: String,
    pub acquisition_date: String,
    pub width: u32,
    pub height: u32,
    pub bit_depth: u32,
    pub pixel_um: f64,
    pub z_step_um: Option<f64>,
    /// `XYZCT` (z varies fastest) or `XYCZT`.
    pub dimension_order: &'static str,
    pub channels: Vec<ChannelMeta>,
    pub planes: Vec<PlaneMeta>,
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn num(v: f64) -> String {
    crate::protocol::units::fmt_num(v)
}

impl StackMeta {
    /// Sizes cover exactly the planes written: a stack cut short has a smaller SizeZ.
    pub fn sizes(&self) -> (u32, u32) {
        let z = self.planes.iter().map(|p| p.the_z + 1).max().unwrap_or(1);
        let c = self
            .planes
            .iter()
            .map(|p| p.the_c + 1)
            .max()
            .unwrap_or(1)
            .max(1);
        (z, c)
    }

    pub fn to_xml(&self) -> String {
        let (size_z, size_c) = self.sizes();
        let mut x = String::new();
        let _ = write!(
            x,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<OME xmlns=\"http://www.openmicroscopy.org/Schemas/OME/2016-06\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://www.openmicroscopy.org/Schemas/OME/2016-06 http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd\" \
Creator=\"squidctl {}\">\n",
            env!("CARGO_PKG_VERSION")
        );
        let _ = writeln!(
            x,
            "  <Image ID=\"Image:0\" Name=\"{}\">",
            escape(&self.name)
        );
        let _ = writeln!(
            x,
            "    <AcquisitionDate>{}</AcquisitionDate>",
            escape(&self.acquisition_date)
        );
        let _ = write!(
            x,
            "    <Pixels ID=\"Pixels:0\" DimensionOrder=\"{}\" Type=\"uint16\" SignificantBits=\"{}\" BigEndian=\"false\" Interleaved=\"false\" \
SizeX=\"{}\" SizeY=\"{}\" SizeZ=\"{size_z}\" SizeC=\"{size_c}\" SizeT=\"1\" \
PhysicalSizeX=\"{}\" PhysicalSizeXUnit=\"µm\" PhysicalSizeY=\"{}\" PhysicalSizeYUnit=\"µm\"",
            self.dimension_order,
            self.bit_depth,
            self.width,
            self.height,
            num(self.pixel_um),
            num(self.pixel_um)
        );
        if let Some(z) = self.z_step_um.filter(|z| *z > 0.0) {
            let _ = write!(x, " PhysicalSizeZ=\"{}\" PhysicalSizeZUnit=\"µm\"", num(z));
        }
        x.push_str(">\n");
        for (i, c) in self.channels.iter().enumerate().take(size_c as usize) {
            let _ = write!(
                x,
                "      <Channel ID=\"Channel:0:{i}\" Name=\"{}\" SamplesPerPixel=\"1\"",
                escape(&c.name)
            );
            if let Some(w) = c.excitation_nm {
                let _ = write!(
                    x,
                    " ExcitationWavelength=\"{}\" ExcitationWavelengthUnit=\"nm\"",
                    num(w)
                );
            }
            if let Some(w) = c.emission_nm {
                let _ = write!(
                    x,
                    " EmissionWavelength=\"{}\" EmissionWavelengthUnit=\"nm\"",
                    num(w)
                );
            }
            x.push_str("/>\n");
        }
        for (ifd, p) in self.planes.iter().enumerate() {
            let _ = writeln!(
                x,
                "      <TiffData IFD=\"{ifd}\" FirstZ=\"{}\" FirstC=\"{}\" FirstT=\"0\" PlaneCount=\"1\"/>",
                p.the_z, p.the_c
            );
        }
        for p in &self.planes {
            let _ = writeln!(
                x,
                "      <Plane TheZ=\"{}\" TheC=\"{}\" TheT=\"0\" DeltaT=\"{}\" DeltaTUnit=\"s\" ExposureTime=\"{}\" ExposureTimeUnit=\"s\" \
PositionX=\"{}\" PositionXUnit=\"mm\" PositionY=\"{}\" PositionYUnit=\"mm\" PositionZ=\"{}\" PositionZUnit=\"mm\"/>",
                p.the_z,
                p.the_c,
                num(p.delta_t_s),
                num(p.exposure_s),
                num(p.position_mm.0),
                num(p.position_mm.1),
                num(p.position_mm.2)
            );
        }
        x.push_str("    </Pixels>\n  </Image>\n</OME>\n");
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_planes_written() {
        let plane = |z| PlaneMeta {
            the_z: z,
            the_c: 0,
            delta_t_s: 0.5,
            exposure_s: 0.02,
            position_mm: (1.0, 2.0, 3.0),
        };
        let m = StackMeta {
            name: "A1 <fov 0> & GFP".into(),
            acquisition_date: "2026-11-22T10:00:00".into(),
            width: 4,
            height: 4,
            bit_depth: 12,
            pixel_um: 0.325,
            z_step_um: Some(1.5),
            dimension_order: "XYZCT",
            channels: vec![ChannelMeta {
                name: "GFP".into(),
                excitation_nm: Some(488.0),
                emission_nm: Some(525.0),
            }],
            planes: vec![plane(0), plane(1), plane(2)],
        };
        let x = m.to_xml();
        assert!(x.contains("SizeZ=\"3\" SizeC=\"1\" SizeT=\"1\""), "{x}");
        assert!(x.contains("PhysicalSizeZ=\"1.5\" PhysicalSizeZUnit=\"µm\""));
        assert!(x.contains("Name=\"A1 &lt;fov 0&gt; &amp; GFP\""));
        assert!(x.contains("<TiffData IFD=\"2\" FirstZ=\"2\""));
        assert_eq!(x.matches("<Plane ").count(), 3);
    }
}
