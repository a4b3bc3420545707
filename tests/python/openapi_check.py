"""Validate squidctl's /openapi.json with an independent validator (openapi-spec-validator),
then fuzz every route it lists with schemathesis, driven by the document alone, for a
bounded number of cases: no 5xx, every response of a documented status, content type and
schema. Routes documented as 501 (Squid's, not done by squidctl) and the endless streams
are left out of the fuzzing.

usage: openapi_check.py BASE_URL TOKEN MAX_EXAMPLES
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
