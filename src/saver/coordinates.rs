//! `coordinates.csv`, as Squid writes it: one row per region, FOV and z level, with the stage
//! position and time. One per time point folder (where Squid's tools look for it) and one for
//! the whole run with the time point first.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::FrameMsg;
use crate::plan::Plan;

const HEADER: &str = "region,fov,z_level,x (mm),y (mm),z (um),time";

fn open(path: &std::path::Path, append: bool) -> io::Result<File> {
    if append {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    } else {
        File::create(path)
    }
}

struct State {
    all: Option<BufWriter<File>>,
    per_t: HashMap<u32, BufWriter<File>>,
    last: Option<(u32, u32, u32, u32)>,
    error: Option<String>,
}

pub struct Coordinates {
    root: PathBuf,
    plan: Arc<Plan>,
    append: bool,
    state: Mutex<State>,
}

impl Coordinates {
    /// `append`: a resumed run adds to the files an earlier session wrote.
    pub fn new(root: PathBuf, plan: Arc<Plan>, append: bool) -> io::Result<Self> {
        let path = root.join("coordinates.csv");
        let exists = append && path.exists();
        let mut all = BufWriter::new(open(&path, append)?);
        if !exists {
            writeln!(all, "t,{HEADER}")?;
        }
        Ok(Coordinates {
            root,
            plan,
            append,
            state: Mutex::new(State {
                all: Some(all),
                per_t: HashMap::new(),
                last: None,
                error: None,
            }),
        })
    }

    /// Record a saved frame (one row per z level: channels at the same z share it).
    pub fn record(&self, f: &FrameMsg) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let key = (f.ev.t, f.ev.region, f.ev.fov, f.ev.z);
        if st.last == Some(key) || st.error.is_some() {
            return;
        }
        st.last = Some(key);
        let region = crate::saver::layout::safe_name(&self.plan.regions[f.ev.region as usize].name);
        let time = crate::clock::WallTime::from_unix(f.wall_unix_s).squid_time();
        let row = format!(
            "{region},{},{},{:.6},{:.6},{:.3},{time}",
            f.ev.fov,
            f.ev.z,
            f.stage_mm.0,
            f.stage_mm.1,
            f.stage_mm.2 * 1000.0
        );
        let r = (|| -> io::Result<()> {
            let w = match st.per_t.entry(f.ev.t) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let dir = self.root.join(f.ev.t.to_string());
                    std::fs::create_dir_all(&dir)?;
                    let path = dir.join("coordinates.csv");
                    let exists = self.append && path.exists();
                    let mut w = BufWriter::new(open(&path, self.append)?);
                    if !exists {
                        writeln!(w, "{HEADER}")?;
                    }
                    v.insert(w)
                }
            };
            writeln!(w, "{row}")?;
            if let Some(a) = st.all.as_mut() {
                writeln!(a, "{},{row}", f.ev.t)?;
            }
            Ok(())
        })();
        if let Err(e) = r {
            st.error = Some(e.to_string());
        }
    }

    /// Flush everything; the first error met, if any.
    pub fn finish(&self) -> Result<(), String> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut err = st.error.clone();
        if let Some(a) = st.all.as_mut()
            && let Err(e) = a.flush()
        {
            err.get_or_insert(e.to_string());
        }
        for w in st.per_t.values_mut() {
            if let Err(e) = w.flush() {
                err.get_or_insert(e.to_string());
            }
        }
        match err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
