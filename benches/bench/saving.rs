//! Saving throughput per format against `dd` into the same disk.

use super::*;

/// Frames and bytes of `bench/protocols/throughput.yaml`.
pub(crate) const THROUGHPUT_FRAMES: usize = 240;

pub(crate) const THROUGHPUT_MB: usize = THROUGHPUT_FRAMES * 8;

/// Rounds per format: this kind of shared disk swings several-fold from one minute to the
/// next, so runs alternate with `dd` writing the same amount and the median ratio counts.
pub(crate) const SAVING_ROUNDS: usize = 3;

/// FOVs of `bench/protocols/throughput.yaml` (12 wells, 2×5 fields).
pub(crate) const THROUGHPUT_FOVS: usize = 120;

/// One throughput run: image MB/s from the first frame to the end of the run (all synced),
/// how many files the images took (TIFFs, or everything in an OME-Zarr store), and the CPU
/// the whole process spent per frame in ms (the simulated camera's rendering included).
pub(crate) fn saving_run(microscope: &str, format: &str, compression: &str) -> (f64, usize, f64) {
    let out = bench_out();
    let fmt = format!("output.format={format}");
    let comp = format!("output.compression={compression}");
    let mut args = vec![
        "acquire",
        "bench/protocols/throughput.yaml",
        "--microscope",
        microscope,
        "--output",
    ];
    let out_s = out.display().to_string();
    args.extend([out_s.as_str(), "--set", &fmt, "--set", &comp, "--force"]);
    // Dark frames compress far better than cells would: compressed runs image lit cells.
    if compression != "none" {
        args.extend([
            "--set",
            "channels[0].intensity=60%",
            "--set",
            "channels[0].exposure=20ms",
        ]);
    }
    let (_, _, cpu) = run_cpu(&args);
    let rd = newest_run(&out);
    let j = rd.as_deref().map(journal).unwrap_or_default();
    let files = rd.map_or(0, |rd| {
        squidctl::saver::layout::walk(&rd)
            .iter()
            .filter(|p| {
                let s = p.display().to_string();
                s.contains(".ome.zarr/") || s.ends_with(".tiff")
            })
            .count()
    });
    let _ = std::fs::remove_dir_all(&out);
    let at = |kind: &str| {
        j.iter()
            .find(|e| e["kind"] == kind)
            .and_then(|e| e["run_s"].as_f64())
    };
    let bytes = THROUGHPUT_FRAMES as f64 * 2048.0 * 2048.0 * 2.0;
    let rate = match (at("frame"), at("end")) {
        (Some(a), Some(b)) if b > a => bytes / 1e6 / (b - a),
        _ => f64::NAN,
    };
    (rate, files, cpu * 1000.0 / THROUGHPUT_FRAMES as f64)
}

/// Saving throughput against `dd` into the same directory, side by side: each run sits
/// between two `dd` runs of the same size, and the table shows the medians of the rounds.
pub(crate) fn saving(rows: &mut Vec<Row>) {
    let m = microscope_file("zero", 0.0, 1, "");
    let m = m.display().to_string();
    let target = scratch();
    for (format, compression) in [
        ("ome-tiff", "none"),
        ("tiff", "none"),
        ("ome-zarr", "none"),
        ("ome-tiff", "deflate"),
        ("tiff", "deflate"),
        ("ome-zarr", "deflate"),
        ("ome-zarr", "zstd"),
    ] {
        let rounds = if compression == "none" {
            SAVING_ROUNDS
        } else {
            1
        };
        let mut dd_prev = dd_rate(&target, THROUGHPUT_MB);
        let (mut rates, mut dds, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut files = 0;
        for _ in 0..rounds {
            let (rate, n, _) = saving_run(&m, format, compression);
            files = n;
            let dd_next = dd_rate(&target, THROUGHPUT_MB);
            let dd = (dd_prev + dd_next) / 2.0;
            rates.push(rate);
            dds.push(dd);
            ratios.push(rate / dd);
            dd_prev = dd_next;
        }
        let (rate, dd, ratio) = (median(rates), median(dds), median(ratios));
        rows.push(Row {
            name: format!(
                "saving {format} {compression}{} ({:.0}% of dd at {dd:.0} MB/s, median of {rounds})",
                if compression == "none" { "" } else { ", cells" },
                ratio * 100.0
            ),
            value: rate,
            unit: "MB/s",
            goal: if compression == "none" {
                "≥ 90% of dd".into()
            } else {
                String::new()
            },
            ok: (compression == "none").then_some(ratio >= 0.9),
        });
        if compression == "none" {
            rows.push(Row {
                name: format!("{format}: files per FOV (one channel, 2 planes)"),
                value: files as f64 / THROUGHPUT_FOVS as f64,
                unit: "files",
                goal: String::new(),
                ok: None,
            });
        }
    }
}

/// Saving with a CPU hog on every other core, beside `dd` under the same hog on the same
/// disk: MB/s and CPU ms per frame, medians of alternating rounds. The camera is the
/// simulator at full speed; its rendering is in the CPU figures (dark frames: a copy from a
/// noise bank; lit cells for the compressed runs, about 10 ms a frame of the total).
pub(crate) fn saving_busy(rows: &mut Vec<Row>) {
    let m = microscope_file("zero", 0.0, 1, "");
    let m = m.display().to_string();
    let target = scratch();
    for (format, compression) in [
        ("ome-tiff", "none"),
        ("ome-zarr", "none"),
        ("ome-tiff", "lzw"),
        ("ome-tiff", "zstd"),
    ] {
        let (mut rates, mut cpus, mut ratios, mut quiet_cpus) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let rounds = if compression == "none" {
            SAVING_ROUNDS
        } else {
            1
        };
        for _ in 0..rounds {
            quiet_cpus.push(saving_run(&m, format, compression).2);
            let hog = Hog::start();
            let dd = dd_rate(&target, THROUGHPUT_MB);
            let (rate, _, cpu) = saving_run(&m, format, compression);
            drop(hog);
            rates.push(rate);
            cpus.push(cpu);
            ratios.push(rate / dd);
        }
        let tag = if compression == "none" {
            String::new()
        } else {
            ", cells".into()
        };
        let ratio = median(ratios);
        rows.push(Row {
            name: format!("CPU per frame, {format} {compression}{tag}, quiet (median of {rounds})"),
            value: median(quiet_cpus),
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
        rows.push(Row {
            name: format!(
                "busy machine: saving {format} {compression}{tag} ({:.0}% of dd under the same hog)",
                ratio * 100.0
            ),
            value: median(rates),
            unit: "MB/s",
            goal: String::new(),
            ok: None,
        });
        rows.push(Row {
            name: format!("busy machine: CPU per frame, {format} {compression}{tag}"),
            value: median(cpus),
            unit: "ms",
            goal: String::new(),
            ok: None,
        });
    }
}
