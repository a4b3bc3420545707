//! Hostile input: random and mutated protocols and microscope descriptions — broken syntax,
//! huge numbers, deep nesting, wrong types, non-UTF-8 — must never panic or hang, and are
//! either valid or refused with exit 2 and a located message.

use crate::common::*;

use squidctl::diagnostic::SourceFile;
use squidctl::hardware::faults::SplitMix;
use squidctl::microscope::{BUILTIN_YAML, MicroscopeConfig};
use squidctl::plan::Plan;
use squidctl::protocol::LoadedProtocol;
use std::time::{Duration, Instant};

const PIECES: &[&str] = &[
    ":",
    "- ",
    "{",
    "}",
    "[",
    "]",
    ",",
    "#",
    "&a ",
    "*a",
    "!!str ",
    "|\n",
    ">\n",
    "'",
    "\"",
    "\n",
    "\t",
    "  ",
    "0",
    "-1",
    "1e308",
    "1e999",
    "99999999999999999999999",
    "NaN",
    ".inf",
    "~",
    "null",
    "true",
    "µm",
    "20",
    "ms",
    "um",
    "%",
    "A1:ZZ999",
    "AF48",
    "<<: *a",
    "? ",
    "\u{feff}",
    "\u{0}",
    "é",
    "🔬",
];

fn mutate(text: &str, rng: &mut SplitMix) -> Vec<u8> {
    let mut s: Vec<u8> = text.as_bytes().to_vec();
    let n = 1 + (rng.next_u64() % 4) as usize;
    for _ in 0..n {
        let pos = if s.is_empty() {
            0
        } else {
            (rng.next_u64() as usize) % s.len()
        };
        match rng.next_u64() % 9 {
            0 => {
                let len = ((rng.next_u64() % 8) as usize).min(s.len() - pos);
                s.drain(pos..pos + len);
            }
            1..=3 => {
                let piece = PIECES[(rng.next_u64() as usize) % PIECES.len()];
                s.splice(pos..pos, piece.bytes());
            }
            4 => {
                // Duplicate or drop a whole line.
                let lines: Vec<&[u8]> = s.split(|b| *b == b'\n').collect();
                let i = (rng.next_u64() as usize) % lines.len().max(1);
                let mut out: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
                if rng.next_u64().is_multiple_of(2) {
                    out.insert(i, out[i].clone());
                } else {
                    out.remove(i);
                }
                s = out.join(&b'\n');
            }
            5 => s.insert(pos, 0x80 | (rng.next_u64() as u8 & 0x3f)),
            6 => {
                // A value replaced by something of the wrong type or size.
                let repl = [
                    "[1, 2]",
                    "{a: b}",
                    "1e400",
                    "-5um",
                    "0",
                    "''",
                    "99999999999",
                    "[[[[[[]]]]]]",
                ][(rng.next_u64() % 8) as usize];
                if let Some(colon) = s[pos..].iter().position(|b| *b == b':') {
                    let start = pos + colon + 1;
                    let end = s[start..]
                        .iter()
                        .position(|b| *b == b'\n')
                        .map_or(s.len(), |e| start + e);
                    s.splice(start..end, format!(" {repl}").bytes());
                }
            }
            7 => {
                // Deep nesting.
                let depth = 50 + (rng.next_u64() % 2000) as usize;
                let nest = format!("x: {}{}\n", "[".repeat(depth), "]".repeat(depth));
                s.splice(pos..pos, nest.bytes());
            }
            _ => {
                let a = (rng.next_u64() as usize) % s.len().max(1);
                let b = (rng.next_u64() as usize) % s.len().max(1);
                if a < s.len() && b < s.len() {
                    s.swap(a, b);
                }
            }
        }
    }
    s
}

/// Parse and plan, on a thread with a time limit: Ok(valid), Err(located?) or a panic/hang.
fn check_protocol(bytes: Vec<u8>, microscope: &MicroscopeConfig) -> Result<bool, String> {
    let m = microscope.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let input = bytes.clone();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(move || {
            let Ok(text) = String::from_utf8(input) else {
                return Ok(false);
            };
            match LoadedProtocol::from_source(
                SourceFile::new("fuzz.yaml", text),
                std::env::temp_dir(),
                &[],
            )
            .and_then(|lp| Plan::build(&lp, &m))
            {
                Ok(_) => Ok(true),
                Err(d) => {
                    if d.0.is_empty() {
                        return Err("refused without a message".to_string());
                    }
                    if d.0.iter().any(|e| e.loc.is_none() && e.file.is_none()) {
                        return Err(format!("a message without a place: {}", d.render()));
                    }
                    Ok(false)
                }
            }
        });
        let _ = tx.send(r.map_err(|_| "panicked".to_string()).and_then(|r| r));
    });
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(r) => r,
        Err(_) => Err("hung for 10 s".into()),
    }
}

#[test]
fn mutated_protocols_never_panic_or_hang() {
    let seed = seed();
    let mut rng = SplitMix(seed);
    let m = MicroscopeConfig::builtin().expect("builtin");
    let seeds: Vec<String> = [
        "quickstart",
        "overnight_96well_timelapse",
        "384well_multichannel_zstack",
    ]
    .iter()
    .map(|n| std::fs::read_to_string(repo().join(format!("protocols/{n}.yaml"))).expect("example"))
    .collect();
    let start = Instant::now();
    let (mut valid, mut refused) = (0, 0);
    for i in 0..3000 {
        let base = &seeds[i % seeds.len()];
        let bytes = mutate(base, &mut rng);
        match check_protocol(bytes.clone(), &m) {
            Ok(true) => valid += 1,
            Ok(false) => refused += 1,
            Err(why) => panic!(
                "seed {seed}, case {i}: {why}\ninput:\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
    assert!(
        refused > 1000 && valid > 10,
        "valid {valid}, refused {refused}"
    );
    assert!(start.elapsed() < Duration::from_secs(120));
}

#[test]
fn mutated_microscopes_never_panic_or_hang() {
    let seed = seed();
    let mut rng = SplitMix(seed ^ 0xABCD);
    for i in 0..1500 {
        let bytes = mutate(BUILTIN_YAML, &mut rng);
        let input = bytes.clone();
        let r = std::thread::spawn(move || {
            std::panic::catch_unwind(|| match String::from_utf8(input) {
                Ok(text) => {
                    match squidctl::hardware::from_source(SourceFile::new("m.yaml", text)) {
                        Ok(_) => Ok(()),
                        Err(d)
                            if d.0.iter().all(|e| e.loc.is_some() || e.file.is_some())
                                && !d.0.is_empty() =>
                        {
                            Ok(())
                        }
                        Err(d) => Err(d.render()),
                    }
                }
                Err(_) => Ok(()),
            })
        })
        .join();
        match r {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(m))) => panic!("seed {seed}, case {i}: unlocated message {m}"),
            _ => panic!(
                "seed {seed}, case {i}: panicked on\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        }
    }
}

#[test]
fn the_binary_refuses_hostile_files_with_exit_2_and_a_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cases: Vec<Vec<u8>> = vec![
        b"\xff\xfe\x00name: x".to_vec(),
        format!("name: x\nchannels: {}{}\n", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        b"name: x\nplate: {format: 96, wells: A1}\nchannels: [{name: BF, exposure: 1e308s, intensity: 1%}]\n".to_vec(),
        b"name: x\nplate: {format: 96, wells: A1}\nz: {count: 4294967295, step: 1um}\nchannels: [{name: BF, exposure: 1ms, intensity: 1%}]\n".to_vec(),
        b"name: x\nplate: {format: 96, wells: A1}\nfov: {grid: 100000x100000}\nchannels: [{name: BF, exposure: 1ms, intensity: 1%}]\n".to_vec(),
        b"name: x\nplate: {format: 96, wells: A1}\ntime: {every: 1ns, for: 100000000h}\nchannels: [{name: BF, exposure: 1ms, intensity: 1%}]\n".to_vec(),
        b"name: [1, 2]\n".to_vec(),
        b"- just\n- a\n- list\n".to_vec(),
        b"a: &a [*a]\n".to_vec(),
        b"\n\n\n".to_vec(),
    ];
    let mut rng = SplitMix(seed());
    let base = std::fs::read_to_string(repo().join("protocols/quickstart.yaml")).expect("example");
    for _ in 0..25 {
        cases.push(mutate(&base, &mut rng));
    }
    for (i, bytes) in cases.iter().enumerate() {
        let p = dir.path().join(format!("h{i}.yaml"));
        std::fs::write(&p, bytes).expect("write");
        let t = Instant::now();
        let r = run(&["validate", &p.display().to_string()]);
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "case {i} took {:?}",
            t.elapsed()
        );
        assert!(
            !r.stderr.contains("panicked") && !r.stderr.contains("internal error"),
            "case {i}:\n{}",
            r.stderr
        );
        match r.code {
            0 => {}
            2 => assert!(
                r.stderr.contains("--> "),
                "case {i}: unlocated:\n{}",
                r.stderr
            ),
            c => panic!("case {i}: exit {c}\n{}", r.stderr),
        }
    }
}
