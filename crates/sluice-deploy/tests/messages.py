"""Reads {"json_schema", "messages"} cases on stdin and parses each message with the
parser Beam YAML's ReadFromPubSub uses for format JSON (yaml_io._create_parser), as
Dataflow runs it. Prints, per case, per message: {"ok": true, "nulls": [...]}, the
top-level fields that read as None, or {"ok": false, "error": ...}."""
import json
import sys

from apache_beam.yaml import yaml_io

out = []
for case in json.load(sys.stdin):
    _, parse = yaml_io._create_parser("JSON", case["json_schema"])
    results = []
    for message in case["messages"]:
        try:
            row = parse(json.dumps(message).encode("utf-8"))
            d = row._asdict()
            results.append({"ok": True, "nulls": sorted(k for k, v in d.items() if v is None)})
        except Exception as e:  # the message goes to the dead-letter output
            results.append({"ok": False, "error": f"{type(e).__name__}: {e}"[:300]})
    out.append(results)
json.dump(out, sys.stdout)
