//! `squidctl verify RUN_DIR`: is every file the plan asks for present, readable, complete and
//! exactly what was acquired? Exit 0 only when all of them are.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::sync::Arc;

use super::run::fail;
use crate::cli::VerifyArgs;
use crate::exit::Exit;
use crate::human;
use crate::saver::FileKey;
use crate::saver::verify::{self, Problem};
use crate::session::resume::open_run;

/// Every run directory named, each judged on its own (see [`super::each_run`]).
pub fn run(args: &VerifyArgs) -> Exit {
    super::each_run("verify", &args.run_dirs, args.json, |dir| {
        one(dir, args.json)
    })
}

fn one(run_dir: &std::path::Path, json: bool) -> Exit {
    let args = super::Single { run_dir, json };
    let open = match open_run(args.run_dir) {
        Ok(o) => o,
        Err(r) => return fail(args.json, "verify", r.exit, r.message),
    };
    let plan = Arc::new(open.loaded.plan.clone());
    let layout = crate::saver::layout::for_plan(&plan, open.rd.root.clone(), &open.record.started);
    let expected: BTreeSet<FileKey> = plan.events().map(|e| layout.key(&e)).collect();
    let saved = verify::saved_files(&open.journal, layout.as_ref());
    let mut problems: Vec<(String, Problem)> = Vec::new();
    let mut intact = 0u64;
    let mut planes = 0u64;
    let mut owner: HashMap<String, FileKey> = HashMap::new();
    let describe = |k: &FileKey| {
        let region = plan
            .regions
            .get(k.region as usize)
            .map_or("?", |r| r.name.as_str());
        let channel = k
            .channel
            .and_then(|c| plan.channels.get(c as usize))
            .map_or(String::new(), |c| format!(" {}", c.name));
        format!("`{region}` FOV {}{channel}", k.fov)
    };
    for key in &expected {
        let path = layout.path(key);
        let rel = path
            .strip_prefix(&open.rd.root)
            .unwrap_or(&path)
            .display()
            .to_string();
        if let Some(first) = owner.get(&rel) {
            let (first, second) = (describe(first), describe(key));
            problems.push((rel, Problem::SharedPath { first, second }));
            continue;
        }
        owner.insert(rel.clone(), *key);
        match saved.get(&rel) {
            None => problems.push((rel, Problem::NotSaved)),
            Some(rec) => match verify::check(layout.as_ref(), rec) {
                None => {
                    intact += 1;
                    planes += rec.planes as u64;
                }
                Some(p) => problems.push((rel, p)),
            },
        }
    }
    for (rel, error) in layout.check_store() {
        problems.push((rel, Problem::Metadata { error }));
    }
    for (rel, detail) in crate::saver::coordinates::check(&open.rd.root, &plan, &open.journal) {
        problems.push((rel, Problem::Coordinates { detail }));
    }
    let ok = problems.is_empty();
    let mut text = String::new();
    text.push_str(&format!(
        "{}: {} of {} files intact ({} planes) in {}\n",
        if ok { "ok" } else { "FAILED" },
        human::count(intact),
        human::count(expected.len() as u64),
        human::count(planes),
        open.rd.root.display()
    ));
    for (path, p) in problems.iter().take(200) {
        text.push_str(&format!("  {path}: {p}\n"));
    }
    if problems.len() > 200 {
        text.push_str(&format!("  … and {} more\n", problems.len() - 200));
    }
    if !ok {
        text.push_str(
            "  (`squidctl resume` acquires what is missing, incomplete or damaged again)\n",
        );
    }
    if args.json {
        let _ = std::io::stderr().write_all(text.as_bytes());
        super::print_json(&serde_json::json!({
            "command": "verify",
            "ok": ok,
            "run_dir": open.rd.root.display().to_string(),
            "expected_files": expected.len(),
            "intact_files": intact,
            "intact_planes": planes,
            "problems": problems.iter().map(|(path, p)| {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                v["path"] = path.clone().into();
                v["message"] = p.to_string().into();
                v
            }).collect::<Vec<_>>(),
        }));
    } else {
        let _ = std::io::stdout().write_all(text.as_bytes());
    }
    if ok { Exit::Completed } else { Exit::Failed }
}
