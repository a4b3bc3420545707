//! Panics turned into values: a driver or writer that panics becomes a recorded outcome with
//! its message, location and backtrace, instead of a crashed run or a line on stderr.

use std::backtrace::Backtrace;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// What a caught panic said, where, and the stack at that moment.
#[derive(Clone, Debug)]
pub struct PanicReport {
    pub message: String,
    pub location: String,
    /// Captured, not yet symbolised: resolving file:line can take seconds in a debug build,
    /// and that must not be charged to the deadline of the step that panicked.
    backtrace: Option<Arc<Backtrace>>,
}

impl PanicReport {
    /// The stack as text, symbolised now; call it after the step's deadline is closed.
    pub fn backtrace_text(&self) -> String {
        self.backtrace
            .as_ref()
            .map_or_else(String::new, |b| b.to_string())
    }
}

impl std::fmt::Display for PanicReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "panicked at {}: {}", self.location, self.message)
    }
}

thread_local! {
    static LAST: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
}

/// Replace the default hook (which prints to stderr) with one that records the panic for
/// [`catch`]. Panics outside `catch` are still reported on stderr, with the backtrace.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "unknown panic payload".to_string()
        };
        let location = info.location().map_or_else(
            || "unknown location".into(),
            |l| format!("{}:{}", l.file(), l.line()),
        );
        let report = PanicReport {
            message,
            location,
            backtrace: Some(Arc::new(Backtrace::force_capture())),
        };
        let caught = CATCHING.with(|c| *c.borrow());
        if !caught {
            let name = std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string();
            eprintln!(
                "error: internal error: thread '{name}' {report}\n{}",
                report.backtrace_text()
            );
        }
        LAST.with(|l| *l.borrow_mut() = Some(report));
        // A panic between "light on" and "light off" must not leave a laser on. Not from the
        // serial thread itself: it is the one that would do it.
        if !super::safety::on_lights_thread() {
            super::safety::all_lights_off("a panic");
        }
    }));
}

thread_local! {
    static CATCHING: RefCell<bool> = const { RefCell::new(false) };
}

/// Run `f`, turning a panic into a [`PanicReport`].
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, PanicReport> {
    let was = CATCHING.with(|c| std::mem::replace(&mut *c.borrow_mut(), true));
    let r = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| *c.borrow_mut() = was);
    r.map_err(|payload| {
        LAST.with(|l| l.borrow_mut().take())
            .unwrap_or_else(|| PanicReport {
                message: payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()),
                location: "unknown location".into(),
                backtrace: None,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_report() {
        install_hook();
        let r = catch(|| -> u32 { panic!("boom {}", 7) });
        let p = r.unwrap_err();
        assert_eq!(p.message, "boom 7");
        assert!(p.location.contains("panics.rs"), "{}", p.location);
        assert_eq!(catch(|| 5).ok(), Some(5));
    }
}
