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
    /// The camera's own numbers for the frame, kept as a map annotation per plane.
    pub frame_number: u64,
    pub camera_timestamp_s: f64,
    pub gain: f64,
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

    /// The planes as OME images, each a complete Z × C rectangle: one for a complete file; a
    /// file cut short is its largest complete rectangle plus the partial row after it as a
    /// second image, so no reader is told of planes the file does not hold.
    fn blocks(&self) -> Vec<Block> {
        let n = self.planes.len() as u32;
        let (sz, sc) = self.sizes();
        if sz * sc == n || n == 0 {
            return vec![Block {
                start: 0,
                size_z: sz,
                size_c: sc,
                z0: 0,
                c0: 0,
            }];
        }
        let z_inner = self.dimension_order == "XYZCT";
        let row = if z_inner { sz } else { sc };
        let full = n / row;
        let rem = n % row;
        let mut out = vec![if z_inner {
            Block {
                start: 0,
                size_z: sz,
                size_c: full,
                z0: 0,
                c0: 0,
            }
        } else {
            Block {
                start: 0,
                size_z: full,
                size_c: sc,
                z0: 0,
                c0: 0,
            }
        }];
        if rem > 0 {
            out.push(if z_inner {
                Block {
                    start: full * row,
                    size_z: rem,
                    size_c: 1,
                    z0: 0,
                    c0: full,
                }
            } else {
                Block {
                    start: full * row,
                    size_z: 1,
                    size_c: rem,
                    z0: full,
                    c0: 0,
                }
            });
        }
        out
    }

    pub fn to_xml(&self) -> String {
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
        let blocks = self.blocks();
        for (i, b) in blocks.iter().enumerate() {
            self.image_xml(&mut x, i, b, blocks.len() > 1);
        }
        if !self.planes.is_empty() {
            x.push_str("  <StructuredAnnotations>\n");
            for (ifd, p) in self.planes.iter().enumerate() {
                let _ = writeln!(
                    x,
                    "    <MapAnnotation ID=\"Annotation:Camera{ifd}\" Namespace=\"squidctl.camera\"><Value>\
<M K=\"frame_number\">{}</M><M K=\"camera_timestamp_s\">{}</M><M K=\"gain\">{}</M><M K=\"bit_depth\">{}</M>\
</Value></MapAnnotation>",
                    p.frame_number,
                    num(p.camera_timestamp_s),
                    num(p.gain),
                    self.bit_depth
                );
            }
            x.push_str("  </StructuredAnnotations>\n");
        }
        x.push_str("</OME>\n");
        x
    }

    fn image_xml(&self, x: &mut String, i: usize, b: &Block, cut_short: bool) {
        let name = if cut_short {
            format!("{} (cut short, part {} of 2)", self.name, i + 1)
        } else {
            self.name.clone()
        };
        let _ = writeln!(x, "  <Image ID=\"Image:{i}\" Name=\"{}\">", escape(&name));
        let _ = writeln!(
            x,
            "    <AcquisitionDate>{}</AcquisitionDate>",
            escape(&self.acquisition_date)
        );
        let _ = write!(
            x,
            "    <Pixels ID=\"Pixels:{i}\" DimensionOrder=\"{}\" Type=\"uint16\" SignificantBits=\"{}\" BigEndian=\"false\" Interleaved=\"false\" \
SizeX=\"{}\" SizeY=\"{}\" SizeZ=\"{}\" SizeC=\"{}\" SizeT=\"1\" \
PhysicalSizeX=\"{}\" PhysicalSizeXUnit=\"µm\" PhysicalSizeY=\"{}\" PhysicalSizeYUnit=\"µm\"",
            self.dimension_order,
            self.bit_depth,
            self.width,
            self.height,
            b.size_z,
            b.size_c,
            num(self.pixel_um),
            num(self.pixel_um)
        );
        if let Some(z) = self.z_step_um.filter(|z| *z > 0.0) {
            let _ = write!(x, " PhysicalSizeZ=\"{}\" PhysicalSizeZUnit=\"µm\"", num(z));
        }
        x.push_str(">\n");
        let chans = self
            .channels
            .iter()
            .skip(b.c0 as usize)
            .take(b.size_c as usize);
        for (k, c) in chans.enumerate() {
            let _ = write!(
                x,
                "      <Channel ID=\"Channel:{i}:{k}\" Name=\"{}\" SamplesPerPixel=\"1\"",
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
        let count = (b.size_z * b.size_c) as usize;
        let planes = self
            .planes
            .iter()
            .enumerate()
            .skip(b.start as usize)
            .take(count);
        for (ifd, p) in planes.clone() {
            let _ = writeln!(
                x,
                "      <TiffData IFD=\"{ifd}\" FirstZ=\"{}\" FirstC=\"{}\" FirstT=\"0\" PlaneCount=\"1\"/>",
                p.the_z - b.z0,
                p.the_c - b.c0
            );
        }
        for (ifd, p) in planes {
            let _ = writeln!(
                x,
                "      <Plane TheZ=\"{}\" TheC=\"{}\" TheT=\"0\" DeltaT=\"{}\" DeltaTUnit=\"s\" ExposureTime=\"{}\" ExposureTimeUnit=\"s\" \
PositionX=\"{}\" PositionXUnit=\"mm\" PositionY=\"{}\" PositionYUnit=\"mm\" PositionZ=\"{}\" PositionZUnit=\"mm\">\
<AnnotationRef ID=\"Annotation:Camera{ifd}\"/></Plane>",
                p.the_z - b.z0,
                p.the_c - b.c0,
                num(p.delta_t_s),
                num(p.exposure_s),
                num(p.position_mm.0),
                num(p.position_mm.1),
                num(p.position_mm.2)
            );
        }
        x.push_str("    </Pixels>\n  </Image>\n");
    }
}

/// One OME image of a file: a Z × C rectangle of consecutive planes.
struct Block {
    start: u32,
    size_z: u32,
    size_c: u32,
    /// Plan z and channel index of the rectangle's first plane.
    z0: u32,
    c0: u32,
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
            frame_number: u64::from(z) + 1,
            camera_timestamp_s: 0.5,
            gain: 1.0,
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

    /// 4 z × 2 channels cut short after 6 planes: 4×1 and 2×1, never 4×2.
    #[test]
    fn a_file_cut_short_declares_only_the_planes_it_holds() {
        for (order, zc) in [
            (
                "XYZCT",
                vec![(0, 0), (1, 0), (2, 0), (3, 0), (0, 1), (1, 1)],
            ),
            ("XYCZT", vec![(0, 0), (0, 1), (1, 0), (1, 1), (2, 0)]),
        ] {
            let planes: Vec<PlaneMeta> = zc
                .iter()
                .map(|&(z, c)| PlaneMeta {
                    the_z: z,
                    the_c: c,
                    delta_t_s: 0.0,
                    exposure_s: 0.01,
                    position_mm: (0.0, 0.0, 0.0),
                    frame_number: 0,
                    camera_timestamp_s: 0.0,
                    gain: 0.0,
                })
                .collect();
            let ch = |n: &str| ChannelMeta {
                name: n.into(),
                excitation_nm: None,
                emission_nm: None,
            };
            let m = StackMeta {
                name: "A1 fov 0".into(),
                acquisition_date: "2026-11-22T10:00:00".into(),
                width: 4,
                height: 4,
                bit_depth: 12,
                pixel_um: 0.325,
                z_step_um: Some(1.0),
                dimension_order: order,
                channels: vec![ch("BF"), ch("GFP")],
                planes,
            };
            let x = m.to_xml();
            let declared: u32 = x
                .split("SizeZ=\"")
                .skip(1)
                .map(|r| {
                    let z: u32 = r
                        .split('"')
                        .next()
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let c: u32 = r
                        .split("SizeC=\"")
                        .nth(1)
                        .and_then(|v| v.split('"').next())
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    z * c
                })
                .sum();
            assert_eq!(declared as usize, zc.len(), "{x}");
            assert_eq!(x.matches("<TiffData ").count(), zc.len());
            assert_eq!(x.matches("<Image ").count(), 2);
        }
    }
}
