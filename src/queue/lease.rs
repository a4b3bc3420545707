//! A reservation of the microscope for one client, with a lease: while it lasts only the
//! holder's tasks start (others wait in the queue). The holder renews it by reserving again;
//! a lease nobody renews ends by itself, so a crashed scheduler never blocks the microscope
//! for the night. Stored as `lease.json` in the spool, changed under the spool lock.

use serde::{Deserialize, Serialize};

use super::events::QueueEvent;
use super::spool::{Spool, SpoolError};
use crate::clock::WallTime;

const LEASE: &str = "lease.json";
/// The longest a lease may be asked for in one go: renewals extend it.
pub const MAX_TTL_S: f64 = 24.0 * 3600.0;
const MAX_HOLDER: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    pub holder: String,
    pub since: String,
    pub since_unix: f64,
    pub ttl_s: f64,
    pub expires: String,
    pub expires_unix: f64,
    /// Who asked (the token's name through the API, the user on the command line).
    pub by: String,
}

impl Lease {
    pub fn live(&self, now_unix: f64) -> bool {
        now_unix < self.expires_unix
    }
}

/// A holder's name is what tasks and events carry: short, printable.
pub fn check_holder(h: &str) -> Result<(), String> {
    if h.trim().is_empty() {
        return Err("empty: name who holds the reservation (e.g. the robot's name)".into());
    }
    if let Some(n) = crate::human::too_long(h, MAX_HOLDER) {
        return Err(format!("{n} characters; the limit is {MAX_HOLDER}"));
    }
    if h.chars().any(char::is_control) {
        return Err("control characters are not allowed".into());
    }
    Ok(())
}

fn check_ttl(ttl_s: f64) -> Result<(), String> {
    if ttl_s.is_finite() && ttl_s > 0.0 && ttl_s <= MAX_TTL_S {
        Ok(())
    } else {
        Err(format!(
            "ttl {ttl_s} s: more than 0 and at most {MAX_TTL_S:.0} s (renew it to keep it longer)"
        ))
    }
}

/// The lease file as it is, live or not.
fn stored(spool: &Spool) -> Option<Lease> {
    let bytes = std::fs::read(spool.dir.join(LEASE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The live lease, if any; an expired one is ended (and said so in the events) on the way.
pub fn current(spool: &Spool) -> Option<Lease> {
    let now = WallTime::now().unix_s;
    match stored(spool) {
        Some(l) if l.live(now) => Some(l),
        Some(_) => {
            if let Err(e) = expire(spool) {
                tracing::warn!("cannot end the expired reservation: {e}");
            }
            None
        }
        None => None,
    }
}

/// End an expired lease: remove it and log `reservation_expired`. Whoever notices first
/// does it (the worker's loop, a status read); the others find it gone.
pub fn expire(spool: &Spool) -> Result<Option<Lease>, SpoolError> {
    let _g = spool.lock()?;
    let now = WallTime::now().unix_s;
    let Some(l) = stored(spool).filter(|l| !l.live(now)) else {
        return Ok(None);
    };
    remove(spool)?;
    spool.emit_locked(vec![
        QueueEvent::ReservationExpired {
            holder: l.holder.clone(),
            expired: l.expires.clone(),
        }
        .about(None),
    ])?;
    tracing::warn!(
        "the reservation of {} expired at {} without being renewed: the queue is open to all",
        l.holder,
        l.expires
    );
    Ok(Some(l))
}

fn remove(spool: &Spool) -> Result<(), SpoolError> {
    match std::fs::remove_file(spool.dir.join(LEASE)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(SpoolError::Io(format!(
            "cannot remove {}: {e}",
            spool.dir.join(LEASE).display()
        ))),
    }
}

/// Reserve for `holder`, or renew its reservation, for `ttl_s` from now. Refused while
/// another holder's lease is live.
pub fn reserve(spool: &Spool, holder: &str, ttl_s: f64, by: &str) -> Result<Lease, SpoolError> {
    check_holder(holder).map_err(|m| SpoolError::Invalid(format!("holder: {m}")))?;
    check_ttl(ttl_s).map_err(SpoolError::Invalid)?;
    let _g = spool.lock()?;
    let now = WallTime::now();
    let old = stored(spool);
    if let Some(o) = &old
        && o.live(now.unix_s)
        && o.holder != holder
    {
        return Err(SpoolError::Refused(held_by(o)));
    }
    let renewed = old
        .as_ref()
        .is_some_and(|o| o.live(now.unix_s) && o.holder == holder);
    let expires_unix = now.unix_s + ttl_s;
    // A renewal keeps its start.
    let (since, since_unix) = match &old {
        Some(o) if renewed => (o.since.clone(), o.since_unix),
        _ => (now.rfc3339(), now.unix_s),
    };
    let lease = Lease {
        holder: holder.to_string(),
        since,
        since_unix,
        ttl_s,
        expires: WallTime::from_unix(expires_unix).rfc3339(),
        expires_unix,
        by: by.to_string(),
    };
    let mut evs = Vec::new();
    if let Some(o) = old.filter(|o| !o.live(now.unix_s)) {
        evs.push(
            QueueEvent::ReservationExpired {
                holder: o.holder,
                expired: o.expires,
            }
            .about(None),
        );
    }
    evs.push(
        QueueEvent::Reserved {
            holder: lease.holder.clone(),
            ttl_s,
            expires: lease.expires.clone(),
            renewed,
            by: by.to_string(),
        }
        .about(None),
    );
    let bytes = serde_json::to_vec_pretty(&lease)
        .map_err(|e| SpoolError::Io(format!("cannot write the reservation: {e}")))?;
    crate::fsutil::write_durable(&spool.dir.join(LEASE), &bytes).map_err(|e| {
        SpoolError::Io(format!(
            "cannot write {}: {e}",
            spool.dir.join(LEASE).display()
        ))
    })?;
    spool.emit_locked(evs)?;
    Ok(lease)
}

/// End `holder`'s reservation. `force` (the operator's override) ends anyone's. Releasing
/// when nothing is reserved is not an error: the caller's wish holds.
pub fn release(
    spool: &Spool,
    holder: Option<&str>,
    force: bool,
    by: &str,
) -> Result<Option<Lease>, SpoolError> {
    let _g = spool.lock()?;
    let now = WallTime::now().unix_s;
    let Some(l) = stored(spool).filter(|l| l.live(now)) else {
        return Ok(None);
    };
    if !force && holder != Some(l.holder.as_str()) {
        return Err(SpoolError::Refused(format!(
            "{}; only its holder releases it (or an operator with --force)",
            held_by(&l)
        )));
    }
    remove(spool)?;
    spool.emit_locked(vec![
        QueueEvent::ReservationReleased {
            holder: l.holder.clone(),
            by: by.to_string(),
        }
        .about(None),
    ])?;
    Ok(Some(l))
}

/// In words, for a refusal or a waiting task.
pub fn held_by(l: &Lease) -> String {
    format!(
        "the microscope is reserved by {} until {}",
        l.holder, l.expires
    )
}

/// Whether a task (or action) of `holder` may start now; the reason it may not.
pub fn admits(lease: Option<&Lease>, holder: Option<&str>) -> Result<(), String> {
    match lease {
        Some(l) if holder != Some(l.holder.as_str()) => Err(held_by(l)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spool() -> (tempfile::TempDir, Spool) {
        let d = tempfile::tempdir().expect("tempdir");
        let s = Spool::open_in(d.path(), "m").expect("spool");
        (d, s)
    }

    #[test]
    fn only_the_holder_renews_or_releases_and_expiry_frees_it() {
        let (_d, s) = spool();
        let a = reserve(&s, "robot", 60.0, "t").expect("reserve");
        assert!(current(&s).is_some());
        assert!(matches!(
            reserve(&s, "other", 60.0, "t"),
            Err(SpoolError::Refused(_))
        ));
        let b = reserve(&s, "robot", 120.0, "t").expect("renew");
        assert_eq!(a.since, b.since, "a renewal keeps its start");
        assert!(b.expires_unix > a.expires_unix);
        assert!(release(&s, Some("other"), false, "t").is_err());
        assert!(admits(current(&s).as_ref(), Some("other")).is_err());
        assert!(admits(current(&s).as_ref(), Some("robot")).is_ok());
        assert!(
            release(&s, Some("robot"), false, "t")
                .expect("release")
                .is_some()
        );
        assert!(current(&s).is_none());
        // An expired lease ends itself, once, with an event.
        reserve(&s, "robot", 60.0, "t").expect("reserve");
        let mut l = stored(&s).expect("stored");
        l.expires_unix = WallTime::now().unix_s - 1.0;
        std::fs::write(s.dir.join(LEASE), serde_json::to_vec(&l).expect("json")).expect("write");
        assert!(current(&s).is_none());
        assert!(expire(&s).expect("expire").is_none(), "ended once");
        let evs = std::fs::read_to_string(s.events_path()).expect("events");
        assert_eq!(evs.matches("\"reservation_expired\"").count(), 1, "{evs}");
        assert!(reserve(&s, "other", 60.0, "t").is_ok());
    }

    #[test]
    fn bad_holders_and_ttls_are_refused() {
        let (_d, s) = spool();
        assert!(reserve(&s, "", 60.0, "t").is_err());
        assert!(reserve(&s, "a\nb", 60.0, "t").is_err());
        assert!(reserve(&s, "robot", 0.0, "t").is_err());
        assert!(reserve(&s, "robot", f64::NAN, "t").is_err());
        assert!(reserve(&s, "robot", MAX_TTL_S + 1.0, "t").is_err());
    }
}
