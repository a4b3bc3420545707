"""Compare squidctl's plan of an imported protocol with useq-schema's own iteration.

usage: check_useq.py SEQUENCE(.yaml|.json) EVENTS.jsonl FOV_W_UM FOV_H_UM

EVENTS.jsonl is `squidctl plan --format jsonl` of the imported protocol. Grids that give
no field of view get the microscope's, as pymmcore-plus does before it runs a sequence.
Every event must match in order: channel, exposure, time point and its start time, plane
index, stage x/y, z wherever the position has one, and the position name. Prints "ok N events".
"""

import json
import sys

import useq
import yaml


def load(path):
    with open(path) as f:
        text = f.read()
    return json.loads(text) if path.endswith(".json") else yaml.safe_load(text)


def with_fov(plan, w, h):
    if plan is None or not hasattr(plan, "fov_width"):
        return plan
    if plan.fov_width is None or plan.fov_height is None:
        return plan.model_copy(update={"fov_width": w, "fov_height": h})
    return plan


def main():
    seq_path, events_path, fw, fh = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    seq = useq.MDASequence.model_validate(load(seq_path))
    seq = seq.model_copy(update={"grid_plan": with_fov(seq.grid_plan, fw, fh)})
    ours = [json.loads(l) for l in open(events_path) if l.strip()]
    theirs = list(seq)
    positions = list(seq.stage_positions)
    # A plate plan's points carry z 0 and names `A1_0000`: the well is the position, its z
    # is the microscope's focus.
    plate = isinstance(seq.stage_positions, useq.WellPlatePlan)
    if len(ours) != len(theirs):
        sys.exit(f"squidctl plans {len(ours)} events, useq {len(theirs)}")
    for i, (u, o) in enumerate(zip(theirs, ours)):
        problems = []
        if u.channel.config != o["channel"]:
            problems.append(f"channel {u.channel.config} vs {o['channel']}")
        if abs((u.exposure or 0) - o["exposure_ms"]) > 1e-9:
            problems.append(f"exposure {u.exposure} vs {o['exposure_ms']}")
        if u.index.get("t", 0) != o["t"]:
            problems.append(f"t {u.index.get('t', 0)} vs {o['t']}")
        if abs((u.min_start_time or 0) - o["scheduled_s"]) > 1e-6:
            problems.append(f"start {u.min_start_time} vs {o['scheduled_s']}")
        if u.index.get("z", 0) != o["z"]:
            problems.append(f"plane {u.index.get('z', 0)} vs {o['z']}")
        if abs(u.x_pos - o["x_mm"] * 1000) > 1e-3 or abs(u.y_pos - o["y_mm"] * 1000) > 1e-3:
            problems.append(f"xy ({u.x_pos}, {u.y_pos}) vs ({o['x_mm'] * 1000}, {o['y_mm'] * 1000})")
        p = positions[u.index.get("p", 0)] if positions else None
        if not plate and p is not None and p.z is not None and abs(u.z_pos - o["z_mm"] * 1000) > 1e-3:
            problems.append(f"z {u.z_pos} vs {o['z_mm'] * 1000}")
        name = u.pos_name.split("_")[0] if plate and u.pos_name else u.pos_name
        if name and name != o["region"]:
            problems.append(f"position {u.pos_name} vs {o['region']}")
        if problems:
            sys.exit(f"event {i} differs: " + "; ".join(problems) + f"\n useq: {u!r}\n ours: {o}")
    print(f"ok {len(ours)} events")


main()
