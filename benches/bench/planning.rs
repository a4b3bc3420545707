//! Planning: events per second and the estimate of huge protocols.

use super::*;

pub(crate) fn planning(rows: &mut Vec<Row>) {
    let huge = "bench/protocols/huge_1536.yaml";
    let runs: Vec<(f64, f64)> = (0..5)
        .map(|_| run_measured(&["simulate", "--estimate", huge]))
        .collect();
    let t = median(runs.iter().map(|r| r.0).collect());
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    rows.push(Row {
        name: "simulate --estimate, 960M events: time".into(),
        value: t * 1000.0,
        unit: "ms",
        goal: "< 1000 ms".into(),
        ok: Some(t < 1.0),
    });
    rows.push(Row {
        name: "simulate --estimate, 960M events: peak RSS".into(),
        value: rss,
        unit: "MB",
        goal: "< 30 MB".into(),
        ok: Some(rss < 30.0),
    });
    let first = median(
        (0..9)
            .map(|_| first_line(&["plan", "--format", "csv", huge]))
            .collect(),
    );
    rows.push(Row {
        name: "plan --format csv | head -1: first line".into(),
        value: first * 1000.0,
        unit: "ms",
        goal: "< 100 ms".into(),
        ok: Some(first < 0.1),
    });
}
