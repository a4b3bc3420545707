//! `squidctl acquire FILE`: run a protocol on the microscope.

use crate::cli::AcquireArgs;
use crate::exit::Exit;

pub fn run(args: &AcquireArgs) -> Exit {
    if let Err(d) = super::load(&args.file, &args.input) {
        return super::invalid(&d);
    }
    eprintln!(
        "error: the supervised runner is not available in this build yet; use `squidctl simulate --estimate`"
    );
    Exit::Failed
}
