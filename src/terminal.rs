//! Terminal settings squidctl changes while its bars are on screen, restored on drop.

use std::os::fd::RawFd;

/// Keeps the terminal from echoing `^C` while the bars are drawn. indicatif leaves the cursor
/// in the last column, so an echoed `^C` wraps onto a new line the bars do not know about and
/// the first bar line is left behind on screen after Ctrl-C. The key still interrupts.
pub struct QuietControlEcho {
    fd: RawFd,
}

impl QuietControlEcho {
    /// `None` when stderr is not a terminal or does not echo control characters.
    pub fn on_stderr() -> Option<QuietControlEcho> {
        let fd = libc::STDERR_FILENO;
        // SAFETY: termios is plain data, filled in by tcgetattr on success.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: valid fd number and pointer; failure (not a tty) is reported by the return.
        if unsafe { libc::tcgetattr(fd, &mut t) } != 0 || t.c_lflag & libc::ECHOCTL == 0 {
            return None;
        }
        t.c_lflag &= !libc::ECHOCTL;
        // SAFETY: as above, with the settings just read.
        (unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) } == 0).then_some(QuietControlEcho { fd })
    }
}

impl Drop for QuietControlEcho {
    fn drop(&mut self) {
        // SAFETY: as in `on_stderr`; only the one flag is put back, whatever else changed.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(self.fd, &mut t) == 0 {
                t.c_lflag |= libc::ECHOCTL;
                libc::tcsetattr(self.fd, libc::TCSANOW, &t);
            }
        }
    }
}
