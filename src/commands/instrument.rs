//! `squidctl status | reserve | stop --now | reset`: the instrument as a whole — its state,
//! who has it reserved, and the emergency stop. The same calls as the API's `/v1/status`,
//! `/v1/system/reserve`, `/release`, `/emergency_stop` and `/reset`.

use serde_json::{Value, json};

use super::print_json;
use super::queue::{spool_fail, spool_of};
use crate::cli::{FaultsArgs, QueueTarget, ReserveArgs, StatusArgs, StopArgs};
use crate::exit::Exit;

fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "cli".into())
}

pub fn status(a: &StatusArgs) -> Exit {
    let spool = match spool_of(&a.target, &[]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let v = crate::queue::status::status(&spool);
    if a.target.json {
        print_json(&v);
    } else {
        println!("{}", describe(&v));
    }
    Exit::Completed
}

/// `squidctl faults`: the history, one line each (`--json`: one object per line), or the
/// code table the README carries.
pub fn faults(a: &FaultsArgs) -> Exit {
    use crate::fault::Code;
    if a.codes {
        if a.target.json {
            for c in Code::ALL {
                let i = c.info();
                print_json(&serde_json::json!({
                    "code": i.number, "name": i.name, "category": i.category,
                    "recoverable": i.recoverable, "scheduler_action": i.action,
                    "http": i.http, "meaning": i.meaning,
                }));
            }
        } else {
            print!("{}", Code::markdown_table());
        }
        return Exit::Completed;
    }
    let spool = match spool_of(&a.target, &[]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let list = match crate::queue::faults::since(&spool, a.since, a.limit.max(1)) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("cannot read {}: {e}", spool.events_path().display());
            return Exit::OutputError;
        }
    };
    for f in &list {
        if a.target.json {
            print_json(&f.to_value());
        } else {
            println!(
                "{:>6}  {}  task {:<5} {} ({}, {}): {}",
                f.sequence,
                f.timestamp,
                f.detail
                    .get("task")
                    .and_then(|t| t.as_u64())
                    .map_or("-".into(), |t| t.to_string()),
                f.name,
                f.code,
                f.scheduler_action.name(),
                crate::human::clip(f.message.lines().next().unwrap_or(""), 160)
            );
        }
    }
    if list.is_empty() && !a.target.json {
        eprintln!("no faults in the history of {}", spool.microscope);
    }
    Exit::Completed
}

/// The state in a few lines a person reads.
fn describe(v: &Value) -> String {
    let mut out = vec![format!(
        "{}: {}",
        v["microscope"].as_str().unwrap_or("?"),
        v["state"].as_str().unwrap_or("?")
    )];
    let p = &v["position"];
    if p.is_object() {
        out.push(format!(
            "  stage      x {:.3}  y {:.3}  z {:.3} mm{}",
            p["x_mm"].as_f64().unwrap_or(0.0) + 0.0,
            p["y_mm"].as_f64().unwrap_or(0.0) + 0.0,
            p["z_mm"].as_f64().unwrap_or(0.0) + 0.0,
            match v["homed"].as_bool() {
                Some(true) => ", homed",
                Some(false) => ", NOT homed",
                None => "",
            }
        ));
    } else {
        out.push("  stage      position unknown (no action has reported it)".into());
    }
    let lights: Vec<&str> = v["lights_on"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    out.push(format!(
        "  lights     {}",
        if lights.is_empty() {
            "all off".to_string()
        } else {
            format!("ON: {}", lights.join(", "))
        }
    ));
    if let Some(r) = v["running"].as_object() {
        out.push(format!(
            "  running    task {} ({} {}, {})",
            r["task"],
            r["kind"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or(""),
            r["state"].as_str().unwrap_or("")
        ));
    } else if let Some(h) = v["lock_holder"].as_object() {
        out.push(format!(
            "  held by    pid {} on {} ({})",
            h["pid"],
            h["host"].as_str().unwrap_or("?"),
            h["for"].as_str().unwrap_or("")
        ));
    }
    if let Some(l) = v["reservation"].as_object() {
        out.push(format!(
            "  reserved   by {} until {}",
            l["holder"].as_str().unwrap_or("?"),
            l["expires"].as_str().unwrap_or("?")
        ));
    }
    if let Some(f) = v["latest_fault"].as_object() {
        out.push(format!(
            "  fault      {}",
            f["message"].as_str().unwrap_or("?")
        ));
    }
    let q = &v["queue"];
    out.push(format!(
        "  queue      {} waiting{}{}",
        q["waiting"],
        if q["held"].as_bool() == Some(true) {
            ", held"
        } else {
            ""
        },
        if q["worker"].as_bool() == Some(true) {
            ", worker running"
        } else {
            ", no worker"
        }
    ));
    out.join("\n")
}

pub fn reserve(a: &ReserveArgs) -> Exit {
    let spool = match spool_of(&a.target, &[]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let holder = a.holder.clone().unwrap_or_else(user);
    if a.release {
        return match crate::queue::lease::release(&spool, Some(&holder), a.force, &user()) {
            Ok(was) => {
                if a.target.json {
                    print_json(
                        &json!({"microscope": spool.microscope, "released": was.is_some(), "reservation": was}),
                    );
                } else {
                    match was {
                        Some(l) => eprintln!("released the reservation of {}", l.holder),
                        None => eprintln!("{} was not reserved", spool.microscope),
                    }
                }
                Exit::Completed
            }
            Err(e) => spool_fail(e),
        };
    }
    match crate::queue::lease::reserve(&spool, &holder, a.ttl.secs(), &user()) {
        Ok(l) => {
            if a.target.json {
                print_json(&json!({"microscope": spool.microscope, "reservation": l}));
            } else {
                eprintln!(
                    "{} is reserved for {} until {} (renew with the same command; only tasks submitted with --holder {} start)",
                    spool.microscope, l.holder, l.expires, l.holder
                );
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}

pub fn stop(a: &StopArgs) -> Exit {
    let spool = match spool_of(&a.target, &[]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match crate::queue::emergency::stop(&spool, &user(), a.reason.clone(), a.cut_motors) {
        Ok(s) => {
            if a.target.json {
                print_json(&json!({"microscope": spool.microscope, "emergency_stop": s}));
            } else {
                match (&s.signalled, &s.holder) {
                    (Some(pid), what) => eprintln!(
                        "EMERGENCY STOP: pid {pid} ({}) told to turn every light off and stop now{}",
                        what.as_deref().unwrap_or("?"),
                        s.task
                            .map_or(String::new(), |t| format!("; task {t} ends cancelled"))
                    ),
                    (None, _) => eprintln!(
                        "EMERGENCY STOP latched: nothing was running on {}",
                        spool.microscope
                    ),
                }
                eprintln!("nothing starts until `squidctl reset`");
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}

pub fn reset(t: &QueueTarget) -> Exit {
    let spool = match spool_of(t, &[]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    match crate::queue::emergency::reset(&spool, &user()) {
        Ok(was) => {
            if t.json {
                print_json(&json!({"microscope": spool.microscope, "cleared": was}));
            } else {
                match was {
                    Some(e) if e.cut_motors => eprintln!(
                        "emergency stop of {} cleared; the motors were cut: `squidctl home` before moving",
                        e.at
                    ),
                    Some(e) => eprintln!("emergency stop of {} cleared", e.at),
                    None => eprintln!("{} was not stopped", spool.microscope),
                }
            }
            Exit::Completed
        }
        Err(e) => spool_fail(e),
    }
}
