"""A WebSocket client of `squidctl serve` (the `websockets` library's, as a lab framework
would use): prints every message as a JSON line until an event of type STOP arrives, then
closes cleanly.

usage: ws_client.py WS_BASE TOKEN SINCE STOP
"""

import json
import sys

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

base, token, since, stop = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
auth = {"Authorization": f"Bearer {token}"}

# The SSE route refuses an upgrade at once, with a status, rather than hang.
try:
    connect(f"{base}/v1/events", additional_headers=auth, open_timeout=10).close()
    raise SystemExit("the SSE route accepted a WebSocket")
except InvalidStatus as e:
    assert e.response.status_code == 400, e.response.status_code

with connect(f"{base}/v1/ws?since={since}", additional_headers=auth, open_timeout=10) as ws:
    while True:
        m = json.loads(ws.recv(timeout=60))
        print(json.dumps(m), flush=True)
        if m["type"] == stop:
            break
