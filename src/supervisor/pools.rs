//! Named thread pools, one per kind of CPU work. The acquisition path (a simulated camera's
//! rendering) and the savers (compression, checksums) each have their own, so a frame's
//! capture never queues behind a saver's strips: with one shared pool a busy machine turned
//! compression into a missed camera deadline and a false hang.

use std::sync::OnceLock;

/// Whose work a pool runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// A simulated camera rendering its frame: on the acquisition path.
    Render,
    /// Savers encoding strips, tiles and chunks.
    Encode,
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::Render => "render",
            Work::Encode => "encode",
        }
    }

    fn cell(self) -> &'static OnceLock<Option<rayon::ThreadPool>> {
        static RENDER: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
        static ENCODE: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
        match self {
            Work::Render => &RENDER,
            Work::Encode => &ENCODE,
        }
    }
}

/// Run `f` (and every `par_iter` inside it) on `work`'s own pool. A pool that cannot be
/// made (no threads left) runs it on the calling thread's default pool instead, said once.
pub fn on<R: Send>(work: Work, f: impl FnOnce() -> R + Send) -> R {
    let pool = work.cell().get_or_init(|| {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(move |i| format!("{}-{i}", work.name()))
            .build()
            .inspect_err(|e| {
                tracing::warn!(
                    "cannot start the {} threads ({e}); that work shares the default pool",
                    work.name()
                )
            })
            .ok()
    });
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn each_kind_of_work_runs_on_threads_of_its_own() {
        let names = |w: Work| -> Vec<String> {
            on(w, || {
                (0..64)
                    .into_par_iter()
                    .map(|_| std::thread::current().name().unwrap_or("").to_string())
                    .collect()
            })
        };
        assert!(names(Work::Encode).iter().all(|n| n.starts_with("encode-")));
        assert!(names(Work::Render).iter().all(|n| n.starts_with("render-")));
    }
}
