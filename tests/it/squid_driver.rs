//! The `squid` driver against the emulated board in this process: the connect sequence,
//! homing, moves, lights, triggers, and every transport fault of the Squid sheet, each
//! ending as it should with every command executed exactly once.

use std::time::{Duration, Instant};

use serde_json::Value;
use squidctl::diagnostic::SourceFile;
use squidctl::emulate::mcu::{self, Event, Faults, Running};
use squidctl::hardware::squid::board::Board;
use squidctl::hardware::squid::protocol::Version;
use squidctl::hardware::squid::settings::SquidSettings;
use squidctl::hardware::{DeviceResult, ErrorKind};
use squidctl::microscope::MicroscopeConfig;
use squidctl::microscope::description::AxisDesc;
use squidctl::microscope::timing::axis_move_secs;

const V14: Version = Version { major: 1, minor: 4 };

fn config(port: &str, watchdog: &str) -> MicroscopeConfig {
    let text = crate::common::squid_microscope_text(port, watchdog);
    squidctl::hardware::from_source(SourceFile::new("squid-test.yaml", text)).expect("valid")
}

fn rig_with(
    version: Version,
    watchdog: &str,
    faults: Faults,
) -> (Running, Board, MicroscopeConfig) {
    let emu = mcu::spawn(None, version, faults).expect("emulator");
    let c = config(&emu.path.to_string_lossy(), watchdog);
    let s = SquidSettings::of(&c).expect("settings");
    let b = Board::connect(s, &c.desc, Some(8)).expect("connects");
    (emu, b, c)
}

fn rig(watchdog: &str) -> (Running, Board, MicroscopeConfig) {
    rig_with(V14, watchdog, Faults::default())
}

fn execs(emu: &Running) -> Vec<Value> {
    emu.events_of("exec")
}

fn commands(emu: &Running) -> Vec<String> {
    execs(emu)
        .iter()
        .map(|e| e["command"].as_str().unwrap_or("?").to_string())
        .filter(|c| c != "Heartbeat")
        .collect()
}

/// One command in flight and never executed twice: a resend that arrived after the first
/// copy executed would show as the same id and command twice in a row.
fn executed_once(emu: &Running) {
    let ex = execs(emu);
    for w in ex.windows(2) {
        assert!(
            !(w[0]["id"] == w[1]["id"] && w[0]["command"] == w[1]["command"]),
            "executed twice: {}",
            w[1]
        );
    }
}

fn wait_for(emu: &Running, kind: &str, within: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < within {
        if !emu.events_of(kind).is_empty() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

#[test]
fn connect_homes_in_squids_order_and_sets_the_limits_again_after() {
    let (emu, b, _) = rig("2s");
    assert_eq!(b.version, V14);
    assert!(b.homed);
    let c = commands(&emu);
    let pos = |needle: &str| {
        c.iter()
            .position(|x| x.starts_with(needle))
            .unwrap_or_else(|| panic!("no {needle} in {c:#?}"))
    };
    assert!(c[0] == "Reset" && c[1] == "Initialize", "{c:#?}");
    let homes: Vec<&String> = c
        .iter()
        .filter(|x| x.starts_with("Home") || x.starts_with("Move {"))
        .collect();
    // Z; Y clear by 20 mm; X; X clear by 50 mm; Y. X's sign is −1 here: it homes positive.
    assert!(homes[0].contains("axis: Z"), "{homes:#?}");
    assert!(
        homes[1].contains("Move { axis: Y, usteps: 25197"),
        "{homes:#?}"
    );
    assert!(homes[2].contains("axis: X, mode: Positive"), "{homes:#?}");
    assert!(
        homes[3].contains("Move { axis: X, usteps: -62992"),
        "{homes:#?}"
    );
    assert!(homes[4].contains("axis: Y, mode: Negative"), "{homes:#?}");
    let last_home = c
        .iter()
        .rposition(|x| x.starts_with("Home { axis: Y"))
        .expect("home y");
    let lims: Vec<&String> = c[last_home..]
        .iter()
        .filter(|x| x.starts_with("SetLim"))
        .collect();
    // After homing, in homed coordinates, the positive limit of X (sign −1) at 0.
    assert_eq!(lims.len(), 6, "{c:#?}");
    assert!(
        lims[0].contains("XPos, usteps: 0") && lims[1].contains("XNeg, usteps: -151181"),
        "{lims:?}"
    );
    assert!(pos("SetWatchdogTimeout { ms: 2000 }") < pos("Home"));
    assert!(pos("SetLeadScrewPitch { axis: X") < pos("ConfigureStepperDriver { axis: X"));
    executed_once(&emu);
}

#[test]
fn older_firmware_gets_no_watchdog_and_too_old_firmware_is_refused() {
    // Firmware 1.0 has no watchdog: a description that asks for one is refused, and says
    // how to run without one knowingly.
    let emu = mcu::spawn(None, Version { major: 1, minor: 0 }, Faults::default()).expect("emu");
    let cfg = config(&emu.path.to_string_lossy(), "2s");
    let e = Board::connect(SquidSettings::of(&cfg).expect("s"), &cfg.desc, None)
        .err()
        .expect("refused");
    assert!(
        e.message.contains("firmware 1.0 has no safety watchdog")
            && e.message.contains("watchdog: 0s"),
        "{e}"
    );
    drop(emu);
    let (emu, b, _) = rig_with(Version { major: 1, minor: 0 }, "0s", Faults::default());
    assert_eq!(b.version.to_string(), "1.0");
    assert!(
        b.watchdog_state().contains("no watchdog"),
        "{}",
        b.watchdog_state()
    );
    let c = commands(&emu);
    assert!(
        !c.iter().any(|x| x.starts_with("SetWatchdogTimeout")),
        "{c:#?}"
    );
    assert!(c.iter().any(|x| x == "TurnOffAllPorts"));
    drop(b);
    let emu =
        mcu::spawn(None, Version { major: 0, minor: 9 }, Faults::default()).expect("emulator");
    let cfg = config(&emu.path.to_string_lossy(), "2s");
    let e = Board::connect(SquidSettings::of(&cfg).expect("s"), &cfg.desc, None)
        .err()
        .expect("refused");
    assert!(
        e.message
            .contains("firmware 0.9 is older than squid.min_version 1.0"),
        "{e}"
    );
    assert!(execs(&emu).is_empty(), "nothing is sent to a refused board");
}

#[test]
fn a_silent_port_and_a_port_of_noise_are_refused_within_two_seconds() {
    let silent = mcu::pty::Pty::open().expect("pty");
    let cfg = config(&silent.path.to_string_lossy(), "2s");
    let e = Board::connect(SquidSettings::of(&cfg).expect("s"), &cfg.desc, None)
        .err()
        .expect("refused");
    assert!(e.message.contains("sent nothing"), "{e}");

    let mut noisy = mcu::pty::Pty::open().expect("pty");
    let path = noisy.path.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let mut x: u32 = 12345;
        while !s2.load(std::sync::atomic::Ordering::SeqCst) {
            let chunk: Vec<u8> = (0..240)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            let _ = noisy.master.write(&chunk);
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let cfg = config(&path.to_string_lossy(), "2s");
    let e = Board::connect(SquidSettings::of(&cfg).expect("s"), &cfg.desc, None)
        .err()
        .expect("refused");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = feeder.join();
    assert!(e.message.contains("not one valid status packet"), "{e}");
}

#[test]
fn a_target_outside_the_travel_is_refused_on_the_host_with_nothing_sent() {
    let (emu, mut b, _) = rig("0s");
    let before = execs(&emu).len();
    for (x, y) in [(120.5, 10.0), (-0.1, 10.0), (10.0, 80.01), (f64::NAN, 1.0)] {
        let e = b.move_xy(x, y).expect_err("out of range");
        assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    }
    assert_eq!(b.move_z(8.5).expect_err("z").kind, ErrorKind::OutOfRange);
    std::thread::sleep(Duration::from_millis(30));
    assert_eq!(execs(&emu).len(), before, "nothing was sent");
}

#[test]
fn a_move_the_board_refuses_is_an_error_at_once_not_a_hang() {
    let mut f = Faults::default();
    f.now(Event::LateFinalize(3));
    let (emu, mut b, _) = rig_with(V14, "0s", f);
    b.move_xy(10.0, 10.0).expect("inside");
    // Homing finalized 3 µsteps early: the board's range starts just past 0.
    let e = b.move_xy(0.0, 10.0).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::OutOfRange, "{e}");
    // The cause is named (the homing), and what to do.
    assert!(
        e.message.contains("inside the travel")
            && e.message
                .contains("homing x ended before the axis reached its limit switch")
            && e.message.contains("squidctl devices"),
        "{e}"
    );
    // Found at connect already, when the board was asked to its homed 0.
    assert_eq!(b.short_homed, [true, true, true]);
    b.move_xy(1.0, 10.0).expect("the next move works");
    executed_once(&emu);
}

#[test]
fn a_10_mm_move_takes_its_s_curve_and_ends_exactly_at_the_target() {
    let (emu, mut b, c) = rig("0s");
    b.move_xy(20.0, 10.0).expect("start");
    let axis: &AxisDesc = &c.desc.stage.xy;
    let model = axis_move_secs(10.0, axis);
    let mut took = Vec::new();
    for x in [30.0, 20.0, 30.0] {
        let t = Instant::now();
        b.move_xy(x, 10.0).expect("move");
        took.push(t.elapsed().as_secs_f64());
        let (px, py) = b.position_xy().expect("position");
        assert!(
            (px - x).abs() < 1e-3 && (py - 10.0).abs() < 1e-3,
            "{px} {py}"
        );
    }
    // How long a move takes against the model is the bench's to measure (`cargo bench`,
    // "squid z step"), not a test's on a busy machine. The board's own log: the motion really
    // took the S-curve, and the last move's "done" came after its motion ended.
    let last_took = took[took.len() - 1];
    let moved = || {
        let ev = emu.events.lock().expect("events").clone();
        let last_move = ev.iter().rposition(|e| {
            e["kind"] == "exec"
                && e["command"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("MoveTo { axis: X"))
        })?;
        let idle = ev[last_move..]
            .iter()
            .find(|e| e["kind"] == "idle")?
            .clone();
        Some((ev[last_move].clone(), idle))
    };
    let t = Instant::now();
    let (sent, idle) = loop {
        match moved() {
            Some(m) => break m,
            None if t.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(5))
            }
            None => panic!("the board logged no end of the last move"),
        }
    };
    let motion = idle["t"].as_f64().unwrap() - sent["t"].as_f64().unwrap();
    assert!(
        motion >= model * 0.95,
        "the motion took {motion:.3} s, model {model:.3}"
    );
    assert!(
        last_took >= motion - 0.003,
        "reported done {last_took:.3} s after the move was sent, before the motion ended ({motion:.3} s)"
    );
    executed_once(&emu);
}

#[test]
fn lights_use_squids_port_mapping_and_triggers_pulse_once_each() {
    let (emu, mut b, _) = rig("0s");
    for (source, port) in [
        ("laser-405", 0),
        ("laser-488", 1),
        ("laser-561", 2),
        ("laser-638", 3),
        ("laser-730", 4),
    ] {
        b.set_light(source, 50.0).expect("set");
        b.light_on().expect("on");
        b.light_off().expect("off");
        let lit: Vec<Value> = emu.events_of("light");
        let last_on = lit.iter().rev().find(|e| e["on"] == true).expect("lit");
        assert_eq!(last_on["port"], port, "{source}");
    }
    // D3 and D4 are swapped on the wire: 14 and 13.
    let sets: Vec<String> = commands(&emu)
        .into_iter()
        .filter(|c| c.starts_with("SetIllumination {"))
        .collect();
    assert!(
        sets[2].contains("source: 14") && sets[3].contains("source: 13"),
        "{sets:?}"
    );
    b.set_light("laser-488", 20.0).expect("set");
    let before = emu.events_of("light").len();
    for i in 0..25 {
        b.trigger(0, 0.002, true).expect("trigger");
        // A pulse ends on the board's clock after the call returns; the next trigger waits
        // for it, or a busy machine could deliver it while this one's light is still on.
        let t = Instant::now();
        while emu.events_of("light").len() < before + 2 * (i + 1)
            && t.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    assert_eq!(emu.events_of("trigger").len(), 25);
    let lights = emu.events_of("light");
    let strobes = &lights[before..];
    assert_eq!(strobes.len(), 50, "on and off once per pulse: {strobes:?}");
    assert!(strobes.iter().all(|e| e["port"] == 1));
    assert_eq!(
        b.set_light("uv-lamp", 10.0).expect_err("unknown").kind,
        ErrorKind::OutOfRange
    );
    executed_once(&emu);
}

#[test]
fn a_dropped_a_corrupted_and_a_late_frame_each_execute_exactly_once() {
    let (emu, mut b, _) = rig("0s");
    b.move_z(4.0).expect("z");
    let n0 = commands(&emu).len();
    let f = emu.faults.clone();
    f.lock().expect("faults").drop_next_rx();
    b.move_z(4.01).expect("after a dropped byte");
    f.lock().expect("faults").corrupt_next_rx();
    b.move_z(4.02).expect("after a corrupted byte");
    f.lock()
        .expect("faults")
        .after_next_command(Event::Delay(Duration::from_millis(300)));
    b.set_light("laser-488", 10.0).expect("set");
    b.move_z(4.03).expect("read late");
    f.lock().expect("faults").drop_next_tx(72);
    b.move_z(4.04).expect("three status packets lost");
    let c = commands(&emu)[n0..].to_vec();
    let moves: Vec<&String> = c
        .iter()
        .filter(|x| x.starts_with("MoveTo { axis: Z"))
        .collect();
    assert_eq!(moves.len(), 4, "{c:#?}");
    let z = b.position_z().expect("z");
    assert!((z - 4.04).abs() < 1e-3, "{z}");
    executed_once(&emu);
}

#[test]
fn a_second_of_silence_and_an_unplug_are_disconnects_that_reconnect_without_a_reset() {
    let link = tempfile::tempdir().expect("dir");
    let port = link.path().join("squid");
    let emu = mcu::spawn(Some(port.clone()), V14, Faults::default()).expect("emulator");
    let c = config(&port.to_string_lossy(), "2s");
    let mut b = Board::connect(SquidSettings::of(&c).expect("s"), &c.desc, None).expect("connects");
    b.move_xy(10.0, 10.0).expect("move");
    let f = emu.faults.clone();
    f.lock()
        .expect("f")
        .now(Event::Silence(Duration::from_secs(1)));
    std::thread::sleep(Duration::from_millis(50));
    let e = b.move_xy(11.0, 10.0).expect_err("silence");
    assert_eq!(e.kind, ErrorKind::Disconnected, "{e}");
    std::thread::sleep(Duration::from_millis(1100));
    b.reconnect().expect("reconnects");
    b.move_xy(12.0, 10.0).expect("moves after");

    f.lock()
        .expect("f")
        .now(Event::Unplug(Duration::from_millis(300)));
    assert!(wait_for(&emu, "fault", Duration::from_secs(1)));
    let e = b.move_xy(13.0, 10.0).expect_err("unplugged");
    assert_eq!(e.kind, ErrorKind::Disconnected, "{e}");
    assert!(wait_for(&emu, "replug", Duration::from_secs(2)));
    b.reconnect()
        .expect("reconnects on the new pty behind the link");
    b.move_xy(13.0, 10.0).expect("moves after");
    let (x, _) = b.position_xy().expect("pos");
    assert!((x - 13.0).abs() < 1e-3, "homing kept: {x}");
    let c = commands(&emu);
    assert_eq!(
        c.iter().filter(|x| *x == "Reset").count(),
        1,
        "no RESET on reconnect"
    );
    assert_eq!(c.iter().filter(|x| *x == "Initialize").count(), 1);
    executed_once(&emu);
}

#[test]
fn a_reboot_is_reported_as_re_home_required_and_never_hidden() {
    let (emu, mut b, _) = rig("0s");
    b.move_xy(10.0, 10.0).expect("move");
    emu.faults.lock().expect("f").now(Event::Reboot);
    assert!(wait_for(&emu, "reboot", Duration::from_secs(1)));
    std::thread::sleep(Duration::from_millis(30));
    let e = b.move_xy(12.0, 10.0).expect_err("rebooted");
    assert_eq!(e.kind, ErrorKind::NeedsHoming);
    assert!(e.message.contains("re-home required"), "{e}");
    let e = b.reconnect().expect_err("still");
    assert!(e.message.contains("re-home required"), "{e}");
    assert!(!b.homed);
    // Only on request: connected afresh and homed, then it moves again.
    b.rehome().expect("re-homed");
    assert!(b.homed);
    b.move_xy(12.0, 10.0).expect("moves after");
    assert_eq!(b.health().reconnects, 1);
}

#[test]
fn soak_1000_moves_and_1000_triggers_through_corrupted_bytes_both_ways() {
    let mut f = Faults::default();
    f.seed(99);
    let (emu, mut b, _) = rig_with(V14, "0s", f);
    b.move_xy(10.02, 10.0).expect("start");
    b.set_light("laser-488", 5.0).expect("set");
    emu.faults.lock().expect("f").noise = 0.001;
    let n0 = commands(&emu).len();
    let t = Instant::now();
    for i in 0..1000 {
        let x = 10.0 + 0.01 * f64::from(i % 2);
        b.move_xy(x, 10.0)
            .unwrap_or_else(|e| panic!("move {i}: {e}"));
        b.trigger(0, 0.0005, false)
            .unwrap_or_else(|e| panic!("trigger {i}: {e}"));
    }
    let took = t.elapsed();
    let injected = emu.faults.lock().expect("f").injected;
    emu.faults.lock().expect("f").noise = 0.0;
    std::thread::sleep(Duration::from_millis(30));
    let c = commands(&emu)[n0..].to_vec();
    assert_eq!(c.iter().filter(|x| x.starts_with("MoveTo")).count(), 1000);
    assert_eq!(
        c.iter()
            .filter(|x| x.starts_with("SendHardwareTrigger"))
            .count(),
        1000
    );
    assert!(injected > 10, "the noise was on: {injected}");
    executed_once(&emu);
    let h = b.health();
    assert!(h.resends > 0 && h.checksum_errors > 0, "{h:?}");
    eprintln!(
        "soak: {took:?}, {injected} bytes corrupted, {}",
        h.summary()
    );
}

/// The shipped emulated Squid on this emulator at the shipped stage speeds (homing takes
/// seconds, as on a real stage), with `extra` lines added to its `squid:` section.
fn shipped_rig(
    version: Version,
    watchdog: &str,
    extra: &str,
    faults: Faults,
) -> (Running, DeviceResult<Board>) {
    let emu = mcu::spawn(None, version, faults).expect("emulator");
    let text = crate::common::squid_microscope_shipped(&emu.path.to_string_lossy(), watchdog)
        .replace(
            &format!("  watchdog: {watchdog}\n"),
            &format!("  watchdog: {watchdog}\n{extra}"),
        );
    let c = squidctl::hardware::from_source(SourceFile::new("squid-shipped.yaml", text))
        .expect("valid");
    let b = Board::connect(SquidSettings::of(&c).expect("settings"), &c.desc, None);
    (emu, b)
}

fn light_intervals(emu: &Running) -> Vec<(String, f64, Option<f64>)> {
    crate::common::light_intervals(&emu.events_of("light"))
}

/// No two sources were ever lit at the same time (a frame under two lights).
fn lit_now(emu: &Running) -> Vec<String> {
    light_intervals(emu)
        .into_iter()
        .filter(|i| i.2.is_none())
        .map(|i| i.0)
        .collect()
}

/// At the shipped speeds homing X takes about 5 s, longer than the 2 s watchdog: heartbeats
/// go out while it runs, so the watchdog never fires and is armed for the whole run. A
/// light-off whose frame loses a byte is resent after a few status periods, not 500 ms.
#[test]
fn the_watchdog_stays_fed_through_homing_and_a_lost_light_off_is_resent_at_once() {
    let (emu, b) = shipped_rig(V14, "2s", "", Faults::default());
    let mut b = b.expect("connects");
    let t = |e: &Value| e["t"].as_f64().expect("t");
    let ex = execs(&emu);
    let homes: Vec<f64> = ex
        .iter()
        .filter(|e| e["command"].as_str().is_some_and(|c| c.starts_with("Home")))
        .map(t)
        .collect();
    let homed: Vec<f64> = emu.events_of("homed").iter().map(t).collect();
    let longest = homes
        .iter()
        .zip(&homed)
        .map(|(a, b)| b - a)
        .fold(0.0, f64::max);
    assert!(
        longest > 2.0,
        "a homing longer than the watchdog: {longest} s"
    );
    assert!(emu.events_of("watchdog").is_empty(), "the watchdog fired");
    let beats_while_homing = ex
        .iter()
        .filter(|e| e["command"] == "Heartbeat")
        .filter(|e| {
            homes
                .iter()
                .zip(&homed)
                .any(|(a, b)| (*a..*b).contains(&t(e)))
        })
        .count();
    assert!(beats_while_homing >= 2, "{beats_while_homing} heartbeats");
    assert_eq!(b.health().watchdog_lapses, 0, "{:?}", b.health());
    assert!(b.watchdog_state().starts_with("watchdog 2s"));

    b.set_light("laser-488", 20.0).expect("set");
    b.light_on().expect("on");
    emu.faults.lock().expect("f").drop_next_rx();
    b.light_off().expect("off, after a resend");
    let iv = light_intervals(&emu);
    let (_, on, off) = iv.last().expect("the laser was lit").clone();
    let lit = off.expect("and is off") - on;
    eprintln!("laser on for {:.0} ms around a lost TURN_OFF", lit * 1e3);
    // The old rule waited 500 ms before resending; three status periods and a checksum
    // round trip are ~60 ms.
    assert!(lit < 0.45, "{lit} s");
    assert!(b.health().resends >= 1);
    executed_once(&emu);
}

/// A board that froze right after executing TURN_ON never answered it: the host must treat
/// every light as possibly on. After the reconnect everything goes off before anything else,
/// and the next (bright-field) frame is never lit together with the laser.
#[test]
fn a_light_the_board_never_acknowledged_is_turned_off_before_anything_else() {
    let mut f = Faults::default();
    f.add_spec("stall:turn-on-illumination#1:1200ms")
        .expect("spec");
    let (emu, b) = shipped_rig(V14, "2s", "", f);
    let mut b = b.expect("connects");
    b.set_light("laser-488", 20.0).expect("set");
    let e = b.light_on().expect_err("the board froze");
    assert_eq!(e.kind, ErrorKind::Disconnected, "{e}");
    // What the runner does after a disconnect: reconnect, retrying until the board is back.
    let t = Instant::now();
    while let Err(e) = b.reconnect() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "never reconnected: {e}"
        );
    }
    let n = execs(&emu)
        .iter()
        .position(|e| e["command"] == "TurnOnIllumination")
        .expect("executed");
    let after: Vec<String> = commands(&emu)
        .into_iter()
        .skip_while(|c| c != "TurnOnIllumination")
        .skip(1)
        .collect();
    assert_eq!(
        after.first().map(String::as_str),
        Some("TurnOffAllPorts"),
        "{after:#?}"
    );
    let _ = n;
    b.set_light("led-matrix", 30.0).expect("bright field");
    b.light_on().expect("on");
    b.light_off().expect("off");
    crate::common::assert_never_two_lights(&light_intervals(&emu), "after the freeze");
    assert!(lit_now(&emu).is_empty(), "{:?}", lit_now(&emu));
    assert!(b.health().reconnects >= 1);
}

/// Firmware older than 1.0 ignores TURN_OFF_ALL_PORTS: the safety hook turns each source off
/// with commands it executes, and says it did only when the board acknowledged them.
#[test]
fn the_safety_hook_turns_lights_off_with_commands_old_firmware_executes() {
    let (emu, b) = shipped_rig(
        Version { major: 0, minor: 9 },
        "0s",
        "  min_version: \"0.9\"\n",
        Faults::default(),
    );
    let mut b = b.expect("connects");
    b.set_light("laser-561", 20.0).expect("set");
    b.light_on().expect("on");
    assert_eq!(lit_now(&emu).len(), 1);
    let off = b.urgent_off().expect("a link");
    assert!(off.all_off(Duration::from_secs(2)), "acknowledged");
    assert!(lit_now(&emu).is_empty(), "still lit: {:?}", lit_now(&emu));
    assert!(
        !commands(&emu).iter().any(|c| c == "TurnOffAllPorts"),
        "a command this firmware ignores"
    );
}

/// A relative move (homing's clearing moves) and a trigger whose status is lost for 0.8 s
/// after they executed: the old rule resent them after 0.5 s, moving twice and exposing
/// twice. They are resent only when the board proves it never heard them.
#[test]
fn a_move_or_trigger_whose_status_is_late_is_never_executed_twice() {
    let mut f = Faults::default();
    f.add_spec("silence:move-y#1:800ms").expect("spec");
    f.add_spec("silence:trigger#1:800ms").expect("spec");
    let (emu, b) = shipped_rig(V14, "2s", "  stale_after: 2s\n", f);
    let mut b = b.expect("connects");
    b.set_light("laser-488", 5.0).expect("set");
    b.strobe(0.005).expect("one exposure");
    let c = commands(&emu);
    assert_eq!(
        c.iter().filter(|x| x.starts_with("Move { axis: Y")).count(),
        1,
        "{c:#?}"
    );
    assert_eq!(
        c.iter()
            .filter(|x| x.starts_with("SendHardwareTrigger"))
            .count(),
        1,
        "{c:#?}"
    );
    let (_, y) = b.position_xy().expect("pos");
    assert!(y.abs() < 1e-3, "homed Y at 0: {y}");
}
