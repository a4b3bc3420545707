"""A scheduler's driver written from Squid's Core Service document alone
(Cephla-Lab/Squid, feat/squid-core-service, software/docs/core-service-api.md): only its
paths, request bodies, response keys and fault model. Pointed at `squidctl serve` with
nothing changed but the base URL and the token.

usage: squid_client.py BASE_URL TOKEN
"""

import json
import sys
import time

import httpx

BASE, TOKEN = sys.argv[1], sys.argv[2]
api = httpx.Client(base_url=BASE, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)


def ok(r, *codes):
    codes = codes or (200,)
    assert r.status_code in codes, f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


def fault(r, status, category):
    assert r.status_code == status, f"{r.request.url}: {r.status_code} {r.text}"
    f = r.json()["error"]
    # Drivers branch on category/code/terminal (the document's advice), never on text.
    for key in ("category", "code", "recoverable", "scheduler_action", "message", "terminal"):
        assert key in f, f"fault without {key}: {f}"
    assert f["category"] == category, f
    return f


# Meta and system.
assert ok(httpx.get(f"{BASE}/v1/healthz"))["alive"] is True  # open, no token
spec = ok(httpx.get(f"{BASE}/openapi.json"))  # open, as Squid's
for path in ("/v1/system/status", "/v1/motion/move", "/v1/acquisitions", "/v1/jobs/{job_id}",
             "/v1/methods", "/v1/methods/{name}", "/v1/acquisitions/preflight", "/v1/events"):
    assert path in spec["paths"], path
status = ok(api.get("/v1/system/status"))
assert status["state"] in ("UNINITIALIZED", "INITIALIZED"), status
for key in ("current_job_id", "latest_fault", "last_acquisition", "session_id", "server_time"):
    assert key in status, status
beat = ok(api.get("/v1/system/heartbeat"))
assert beat["alive"] is True and isinstance(beat["monotonic_ns"], int)
caps = ok(api.get("/v1/system/capabilities"))
channels = [c["name"] for c in caps["channels"]]
x_range, y_range = caps["stage"]["x_range_mm"], caps["stage"]["y_range_mm"]
assert "software_version" in ok(api.get("/v1/system/version"))

# Reserve for this scheduler (Squid answers 501 here; a driver must accept either).
r = api.post("/v1/system/reserve", json={})
assert r.status_code in (200, 501), r.text
reserved = r.status_code == 200
if reserved:
    assert ok(api.get("/v1/system/status"))["state"] == "RESERVED"

# Home, then move (absolute, then relative), reading the position back.
ok(api.post("/v1/system/initialize", json={"home": True}))
moved = ok(api.post("/v1/motion/move", json={"mode": "absolute", "x": 20.0, "y": 15.0, "z": 4.0}))
assert abs(moved["position"]["x_mm"] - 20.0) < 1e-6, moved
moved = ok(api.post("/v1/motion/move", json={"mode": "relative", "x": 1.5, "block_until_complete": True}))
assert abs(moved["position"]["x_mm"] - 21.5) < 1e-6, moved
pos = ok(api.get("/v1/motion/position"))
assert abs(pos["x_mm"] - 21.5) < 1e-6 and abs(pos["y_mm"] - 15.0) < 1e-6, pos
fault(api.post("/v1/motion/move", json={"x": x_range[1] + 100}), 400, "INVALID_PARAM")

# One image, then the reflection autofocus.
img = ok(api.post("/v1/imaging/acquire", json={"channel": channels[0]}))
assert img["acquired"] is True and len(img["shape"]) == 2, img
af = ok(api.post("/v1/autofocus/run", json={"mode": "reflection", "target_um": 0.0}))
assert af["autofocus"] == "ok" and "z_mm" in af["position"], af

# An acquisition as an inline grid: 202 + Location, then poll the job to COMPLETED.
r = api.post(
    "/v1/acquisitions",
    json={
        "grid": {"wells": "B2:B3", "channels": channels[:1], "nx": 2, "ny": 2, "overlap_percent": 10.0},
        "experiment_id": "exp-1",
        "scheduler_job_id": "sched-42",
    },
)
job = ok(r, 202)
assert r.headers["location"].startswith(f"/v1/jobs/{job['job_id']}"), r.headers
assert job["expected_image_count"] == 8, job
deadline = time.monotonic() + 300
while True:
    j = ok(api.get(f"/v1/jobs/{job['job_id']}"))
    if j["state"] == "COMPLETED":
        break
    assert j["state"] in ("ACCEPTED", "RUNNING"), j
    assert time.monotonic() < deadline, j
    time.sleep(0.5)
assert j["outcome"] == "SUCCESS", j
assert j["result"]["image_count_written"] == 8, j
assert ok(api.get("/v1/jobs/last"))["job_id"] == job["job_id"]
last = ok(api.get("/v1/system/status"))["last_acquisition"]
assert last["job_id"] == job["job_id"] and last["outcome"] == "SUCCESS", last

# A method: Squid's acquisition configuration stored by name, listed with an estimate,
# checked (preflight), run with overrides, and refused for what it cannot be.
config = {
    "acquisition": {"widget_type": "wellplate"},
    "sample": {"wellplate_format": "96 well plate"},
    "z_stack": {"nz": 2, "delta_z_mm": 0.002, "config": "FROM CENTER"},
    "time_series": {"nt": 1, "delta_t_s": 0},
    "channels": [{"name": channels[0]}],
    "autofocus": {"contrast_af": False, "laser_af": False},
    "wellplate_scan": {"scan_size_mm": 0.1, "overlap_percent": 10, "wells": "A1:A2"},
}
r = api.post("/v1/methods", json={"name": "daily_scan", "config": config})
ok(r, 201)
fault(api.post("/v1/methods", json={"name": "daily_scan", "config": config}), 409, "PROTOCOL")
listed = {m["name"]: m for m in ok(api.get("/v1/methods"))["methods"]}
assert listed["daily_scan"]["channels"] == channels[:1], listed
assert listed["daily_scan"]["estimated_duration_s"] > 0, listed  # Squid's is a null placeholder
assert ok(api.get("/v1/methods/daily_scan"))["config"] == config
config["z_stack"]["nz"] = 3
ok(api.put("/v1/methods/daily_scan", json={"config": config}))
assert ok(api.get("/v1/methods/daily_scan"))["config"]["z_stack"]["nz"] == 3
check = ok(api.post("/v1/methods/daily_scan/validate"))
assert check["ok"] is True and all("name" in c and "ok" in c for c in check["checks"]), check
bad = dict(config, channels=[{"name": "no such channel"}])
fault(api.post("/v1/methods", json={"name": "bad", "config": bad}), 422, "INVALID_PARAM")
handplaced = dict(config, wellplate_scan={"regions": [{"name": "A1", "center_mm": [1, 2, 3]}]})
f = fault(api.post("/v1/methods", json={"name": "regions", "config": handplaced}), 422, "CONFIG")
assert f["code"] == 3006, f
pre = ok(api.post("/v1/acquisitions/preflight", json={"method": "daily_scan"}))
assert pre["ok"] is True, pre
fault(api.post("/v1/acquisitions", json={"method": "daily_scan", "grid": {"wells": "A1", "channels": channels[:1]}}), 422, "PROTOCOL")
r = api.post("/v1/acquisitions", json={"method": "daily_scan", "overrides": {"wells": "C3:C4"}, "experiment_id": "exp-2"})
job = ok(r, 202)
assert job["expected_image_count"] == 6, job
deadline = time.monotonic() + 300
while True:
    j = ok(api.get(f"/v1/jobs/{job['job_id']}"))
    if j["state"] == "COMPLETED":
        break
    assert time.monotonic() < deadline, j
    time.sleep(0.5)
assert j["outcome"] == "SUCCESS", j
ok(api.delete("/v1/methods/daily_scan"))
fault(api.get("/v1/methods/daily_scan"), 404, "PROTOCOL")

# Aborting a finished job is harmless; an unknown job is a PROTOCOL fault.
fault(api.get("/v1/jobs/999999"), 404, "PROTOCOL")

# The event stream opens with session_started (then replays from Last-Event-Id).
with api.stream("GET", "/v1/events", headers={"Last-Event-Id": "0"}) as r:
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream"), r
    data = None
    for line in r.iter_lines():
        if line.startswith("event:"):
            assert line == "event: session_started", line
        elif line.startswith("data:"):
            data = json.loads(line[5:])
            break
    assert {"session_id", "current_state", "last_event_id"} <= set(data), data

if reserved:
    ok(api.post("/v1/system/release", json={}))
state = ok(api.get("/v1/system/status"))["state"]
assert state == "INITIALIZED", state
print("squid client: every call answered as the document says")
