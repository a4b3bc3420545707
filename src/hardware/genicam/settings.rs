//! A GenICam camera's own settings: `camera.driver: {name: genicam, address: …}`. Everything
//! about the image (size, exposure range, bit depth) stays in the description's `camera:`,
//! which the driver checks against what the camera reports when it opens.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostics;
use crate::microscope::MicroscopeConfig;
use crate::protocol::units::Duration;
use crate::yaml::Node;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GenicamSettings {
    /// A GigE Vision camera's IPv4 address: opened directly, without discovery.
    #[serde(default)]
    pub address: Option<String>,
    /// The camera's serial number (USB3 Vision or GigE): found by Aravis's device list.
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The id Aravis lists (`arv-tool-0.8`), e.g. `Daheng Imaging-MER2-630-60U3M-FCS22070321`.
    #[serde(default)]
    pub device_id: Option<String>,
    /// The pixel format asked of the camera; by default the one of `camera.bit_depth`.
    #[serde(default)]
    pub pixel_format: Option<PixelFormat>,
    /// Stream buffers kept queued for the camera: frames in flight before one is lost.
    #[serde(default = "default_buffers")]
    pub buffers: u32,
    /// How long past the exposure a frame may take to arrive before the wait fails.
    #[serde(default = "default_frame_timeout")]
    pub frame_timeout: Duration,
    /// What starts a frame: `software`, or the input line the Squid board's trigger output
    /// is wired to (`Line0`–`Line3`; Daheng MER2 cameras use `Line2`), strobing the light.
    #[serde(default)]
    pub trigger: Trigger,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Trigger {
    #[default]
    #[serde(rename = "software")]
    Software,
    Line0,
    Line1,
    Line2,
    Line3,
}

impl Trigger {
    /// The SFNC `TriggerSource` of a hardware trigger; `None` for software.
    pub fn line(self) -> Option<&'static str> {
        match self {
            Trigger::Software => None,
            Trigger::Line0 => Some("Line0"),
            Trigger::Line1 => Some("Line1"),
            Trigger::Line2 => Some("Line2"),
            Trigger::Line3 => Some("Line3"),
        }
    }
}

fn default_buffers() -> u32 {
    4
}

fn default_frame_timeout() -> Duration {
    Duration::from_secs_f64(1.0)
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub enum PixelFormat {
    Mono8,
    Mono12,
    Mono12Packed,
    Mono16,
}

impl PixelFormat {
    pub fn name(self) -> &'static str {
        match self {
            PixelFormat::Mono8 => "Mono8",
            PixelFormat::Mono12 => "Mono12",
            PixelFormat::Mono12Packed => "Mono12Packed",
            PixelFormat::Mono16 => "Mono16",
        }
    }

    pub fn bit_depth(self) -> u32 {
        match self {
            PixelFormat::Mono8 => 8,
            PixelFormat::Mono12 | PixelFormat::Mono12Packed => 12,
            PixelFormat::Mono16 => 16,
        }
    }

    /// Bytes a frame of `pixels` takes on the wire.
    pub fn frame_bytes(self, pixels: usize) -> usize {
        match self {
            PixelFormat::Mono8 => pixels,
            PixelFormat::Mono12Packed => pixels.div_ceil(2) * 3,
            PixelFormat::Mono12 | PixelFormat::Mono16 => pixels * 2,
        }
    }

    fn for_depth(bits: u32) -> Option<PixelFormat> {
        match bits {
            8 => Some(PixelFormat::Mono8),
            12 => Some(PixelFormat::Mono12),
            16 => Some(PixelFormat::Mono16),
            _ => None,
        }
    }
}

/// Which camera to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Locator {
    Address(std::net::Ipv4Addr),
    /// A serial number or an Aravis device id.
    Id(String),
}

impl GenicamSettings {
    /// The settings of the camera at `path` (its `driver:` mapping), checked against the
    /// description, with located errors. `depth` is the bit depth the description expects
    /// (the main camera's; a spot camera's pixels may be any).
    pub fn of(
        config: &MicroscopeConfig,
        path: &str,
        node: Option<&Node>,
        depth: Option<u32>,
    ) -> Result<Self, Diagnostics> {
        let Some(node) = node else {
            return Err(Diagnostics::from(
                config
                    .error_at(path, "a `genicam` camera needs to be told which camera to open")
                    .help("write `driver: {name: genicam, address: 192.168.1.20}` (a GigE camera), or `serial_number:` / `device_id:`"),
            ));
        };
        let s: GenicamSettings = crate::yaml::from_node_at(node, path)
            .map_err(|e| Diagnostics::from(e.into_diagnostic()))?;
        let mut out = Diagnostics::default();
        let given = [
            s.address.is_some(),
            s.serial_number.is_some(),
            s.device_id.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given != 1 {
            out.push(
                config
                    .error_at(path, format!("{given} ways to find the camera are given"))
                    .help("give exactly one of `address` (GigE, no discovery), `serial_number` or `device_id`"),
            );
        }
        if let Some(a) = &s.address
            && a.parse::<std::net::Ipv4Addr>().is_err()
        {
            out.push(
                config
                    .error_at(&format!("{path}.address"), format!("`{a}` is not an IPv4 address"))
                    .help("write the camera's address, e.g. `192.168.1.20`; for a USB camera use `serial_number`"),
            );
        }
        let want = depth;
        let depth = depth.unwrap_or(8);
        match s.pixel_format {
            Some(f) if want.is_some_and(|d| d != f.bit_depth()) => out.push(
                config
                    .error_at(
                        &format!("{path}.pixel_format"),
                        format!(
                            "{} gives {}-bit pixels, but `camera.bit_depth` is {depth}",
                            f.name(),
                            f.bit_depth()
                        ),
                    )
                    .help("make `camera.bit_depth` the pixel format's depth"),
            ),
            None if PixelFormat::for_depth(depth).is_none() => out.push(
                config
                    .error_at(
                        "camera.bit_depth",
                        format!("no GenICam mono format has {depth}-bit pixels"),
                    )
                    .help("use 8, 12 or 16, or set `pixel_format`"),
            ),
            _ => {}
        }
        config.check_range(
            &mut out,
            &format!("{path}.buffers"),
            s.buffers as f64,
            2.0,
            64.0,
            "buffers",
        );
        config.check_range(
            &mut out,
            &format!("{path}.frame_timeout"),
            s.frame_timeout.secs(),
            0.05,
            60.0,
            "s",
        );
        out.into_result(s)
    }

    pub fn locator(&self) -> Locator {
        match (&self.address, &self.serial_number, &self.device_id) {
            (Some(a), _, _) => a
                .parse()
                .map_or_else(|_| Locator::Id(a.clone()), Locator::Address),
            (_, Some(s), _) => Locator::Id(s.clone()),
            (_, _, Some(d)) => Locator::Id(d.clone()),
            _ => Locator::Id(String::new()),
        }
    }

    pub fn format(&self, bit_depth: u32) -> PixelFormat {
        self.pixel_format
            .or_else(|| PixelFormat::for_depth(bit_depth))
            .unwrap_or(PixelFormat::Mono16)
    }
}
