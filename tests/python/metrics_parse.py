"""Parse a Prometheus text exposition with Prometheus's own Python parser (prometheus_client)
and print every sample as JSON lines: {"name", "labels", "value"}. A malformed exposition
raises, which fails the test.

usage: metrics_parse.py < metrics.txt
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families

text = sys.stdin.read()
families = list(text_string_to_metric_families(text))
assert families, "no metric families"
for fam in families:
    assert fam.documentation, f"{fam.name} has no HELP"
    for s in fam.samples:
        print(json.dumps({"name": s.name, "labels": s.labels, "value": s.value}))
