//! `squidctl serve`: the queue of one or more microscopes over HTTP (see `api`).

use std::time::Duration;

use super::queue::spool_fail;
use crate::api::{self, Listen, routes::Microscope, stream::Hub};
use crate::cli::ServeArgs;
use crate::exit::Exit;
use crate::queue::spool::Spool;

pub fn serve(a: &ServeArgs) -> Exit {
    let bad = |m: String| {
        tracing::error!("{m}");
        Exit::Invalid
    };
    let listen = match a
        .listen
        .as_deref()
        .map_or_else(Listen::default_socket, Listen::parse)
    {
        Ok(l) => l,
        Err(m) => return bad(m),
    };
    if !(a.heartbeat.is_finite() && a.heartbeat > 0.0) {
        return bad(format!(
            "--heartbeat {}: give seconds above 0, e.g. 15",
            a.heartbeat
        ));
    }
    let files: Vec<Option<std::path::PathBuf>> = if a.microscopes.is_empty() {
        vec![None]
    } else {
        a.microscopes.iter().cloned().map(Some).collect()
    };
    let mut microscopes: Vec<Microscope> = Vec::new();
    for f in files {
        let m = match crate::hardware::load(f.as_deref()) {
            Ok(m) => m,
            Err(d) => return super::invalid(&d),
        };
        if microscopes
            .iter()
            .any(|x| x.spool.microscope == m.desc.name)
        {
            return bad(format!(
                "two microscope files name the microscope `{}`: each queue is served once",
                m.desc.name
            ));
        }
        let spool = match Spool::open(&m.desc.name) {
            Ok(s) => s,
            Err(e) => return spool_fail(e),
        };
        let hub = Hub::start(spool.events_path());
        let state = crate::api::state_cache::StateCache::start(spool.clone());
        microscopes.push(Microscope {
            state,
            spool,
            file: f.map(|p| std::path::absolute(&p).unwrap_or(p)),
            hub,
        });
    }
    let output_root = match a.output_root.clone().map_or_else(std::env::current_dir, Ok) {
        Ok(d) => match d.canonicalize() {
            Ok(d) if d.is_dir() => d,
            Ok(d) => return bad(format!("--output-root {}: not a directory", d.display())),
            Err(e) => return bad(format!("--output-root {}: {e}", d.display())),
        },
        Err(e) => return bad(format!("cannot read the working directory: {e}")),
    };
    let o = api::Options {
        output_root,
        listen,
        token_file: a.token_file.clone(),
        microscopes,
        heartbeat: Duration::from_secs_f64(a.heartbeat),
    };
    match api::serve(o) {
        Ok(()) => Exit::Completed,
        Err(m) => {
            tracing::error!("{m}");
            // A port in use or a refused address is the user's to change.
            Exit::Invalid
        }
    }
}
