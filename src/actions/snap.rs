//! One snapped frame as a single-plane OME-TIFF with its metadata (channel, exposure,
//! position, camera numbers), plus a PNG thumbnail beside it. Written under a `.partial`
//! name and renamed when complete, like every file of a run.

use std::path::{Path, PathBuf};

use crate::clock::WallTime;
use crate::fault::Fault;
use crate::hardware::Frame;
use crate::instrument::Position;
use crate::microscope::MicroscopeConfig;
use crate::protocol::schema::Compression;
use crate::saver::ome_xml::{ChannelMeta, PlaneMeta, StackMeta};
use crate::saver::tiff_file::TiffFile;

pub struct Saved {
    pub path: PathBuf,
    pub thumbnail: PathBuf,
}

pub fn save(
    config: &MicroscopeConfig,
    dir: &Path,
    channel: &str,
    exposure_s: f64,
    intensity_pct: f64,
    p: &Position,
    frame: &Frame,
) -> Result<Saved, Fault> {
    let io = |what: &Path, e: std::io::Error| {
        let m = format!("cannot write {}: {e}", what.display());
        Fault::new(crate::fault::io_code(&m), m).component("disk")
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let now = WallTime::now();
    // Unique per microsecond and channel; names sort by time.
    let stem = format!(
        "snap_{}_{:06}_{}",
        now.rfc3339().replace([':', '+'], "-"),
        (now.unix_s.fract() * 1e6) as u64,
        crate::plan::names::safe_name(channel)
    );
    let path = dir.join(format!("{stem}.ome.tiff"));
    let partial = dir.join(format!("{stem}.ome.tiff.partial"));
    let desc = &config.desc;
    let ch = desc.channels.iter().find(|c| c.name == channel);
    let meta = StackMeta {
        name: format!("{} {channel} at {intensity_pct}%", desc.name),
        acquisition_date: now.rfc3339(),
        width: frame.width,
        height: frame.height,
        bit_depth: frame.meta.bit_depth,
        pixel_um: desc.camera.pixel_size.um() / desc.objective.magnification,
        z_step_um: None,
        dimension_order: "XYZCT",
        channels: vec![ChannelMeta {
            name: channel.to_string(),
            excitation_nm: ch.and_then(|c| c.wavelength).map(|w| w.um() * 1000.0),
            emission_nm: ch.and_then(|c| c.emission).map(|w| w.um() * 1000.0),
        }],
        planes: vec![PlaneMeta {
            the_z: 0,
            the_c: 0,
            delta_t_s: 0.0,
            exposure_s,
            position_mm: (p.x, p.y, p.z),
            frame_number: frame.meta.frame_number,
            camera_timestamp_s: frame.meta.timestamp_s,
            gain: frame.meta.gain,
        }],
    };
    let write = || -> std::io::Result<()> {
        let mut t = TiffFile::create(&partial, false, Compression::None)?;
        t.write_page(&frame.pixels, frame.width, frame.height, None)?;
        t.finish(&meta.to_xml())?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&partial);
        return Err(io(&path, e));
    }
    let thumbnail = dir.join(format!("{stem}.png"));
    let png =
        crate::saver::thumbnail::png(&frame.pixels, frame.width as usize, frame.height as usize)
            .map_err(|m| Fault::new(crate::fault::Code::Internal, m).component("thumbnail"))?;
    crate::fsutil::write_atomic(&thumbnail, &png).map_err(|e| io(&thumbnail, e))?;
    Ok(Saved { path, thumbnail })
}
