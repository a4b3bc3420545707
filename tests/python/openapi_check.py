"""Validate squidctl's /openapi.json with an independent validator (openapi-spec-validator),
then fuzz every route it lists with schemathesis, driven by the document alone, for a
bounded number of cases: no 5xx, every response of a documented status, content type and
schema. Routes documented as 501 (Squid's, not done by squidctl) and the endless streams
are left out of the fuzzing.

Each line of the event log given is then checked against the document's Event schema, and
its type must be one the schema names: the streams send what the document says.

usage: openapi_check.py BASE_URL TOKEN MAX_EXAMPLES EVENTS_NDJSON
"""

import json
import subprocess
import sys
import tempfile
import time
import urllib.request

from openapi_spec_validator import validate

base, token, examples = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
doc = json.load(urllib.request.urlopen(f"{base}/openapi.json"))
validate(doc)
assert doc["openapi"].startswith("3.1"), doc["openapi"]

from jsonschema import Draft202012Validator

root = {"$ref": "#/components/schemas/Event", "components": doc["components"]}
events = Draft202012Validator(root)


def named_types(schema):
    """Every `type` constant the event schema's branches name."""
    out = set()
    if isinstance(schema, dict):
        const = schema.get("properties", {}).get("type", {}).get("const")
        if const:
            out.add(const)
        for v in schema.values():
            out |= named_types(v)
    elif isinstance(schema, list):
        for v in schema:
            out |= named_types(v)
    return out


known = named_types(doc["components"]["schemas"])
seen = set()
with open(sys.argv[4]) as f:
    for n, line in enumerate(f, 1):
        ev = json.loads(line)
        errors = sorted(events.iter_errors(ev), key=lambda e: e.path)
        assert not errors, f"event line {n} does not fit the Event schema: {errors[0].message}\n{line}"
        assert ev["type"] in known, f"event line {n}: type {ev['type']} is not in the schema ({sorted(known)})"
        seen.add(ev["type"])
print(f"events: {n} lines of {len(seen)} types fit the Event schema ({len(known)} types named): {sorted(seen)}")
excluded = ["/v1/events", "/v1/ws", "/v1/tasks/{id}/wait"]
for path, ops in doc["paths"].items():
    if any(op.get("x-squidctl-not-implemented") for op in ops.values()):
        excluded.append(path)
args = [sys.executable, "-m", "schemathesis.cli", "run", f"{base}/openapi.json",
        "-H", f"Authorization: Bearer {token}", "-n", examples, "--seed", "1",
        "--request-timeout", "30",
        "-c", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"]
for p in excluded:
    args += ["--exclude-path", p]
t = time.monotonic()
# schemathesis keeps a cache in its working directory: a scratch one, never the checkout.
with tempfile.TemporaryDirectory() as scratch:
    run = subprocess.run(args, capture_output=True, text=True, cwd=scratch)
took = time.monotonic() - t
summary = [l for l in run.stdout.splitlines() if "generated" in l or "passed" in l or "failure" in l]
print(f"schemathesis: {took:.1f} s; " + " | ".join(s.strip() for s in summary))
if run.returncode != 0:
    print(run.stdout[-6000:])
    print(run.stderr[-2000:])
    raise SystemExit(run.returncode)
