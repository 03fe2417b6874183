"""Reads {"avro_schema", "json_schema", "records"} cases on stdin. Each record is
written with fastavro's JSON writer (Avro's JSON encoding, as a publisher to a
topic with an Avro schema and JSON encoding writes it) and read back with the
parser Beam YAML's ReadFromPubSub uses for format JSON (yaml_io._create_parser),
with the JSON schema Sluice deploys for the catalog fields it took from the Avro
schema. Prints, per case, per record: {"message": text, "ok": true, "row": {...}}
or {"message": text, "ok": false, "error": ...}."""
import io
import json
import sys

from apache_beam.yaml import yaml_io
from beam_rows import plain
from fastavro import json_writer, parse_schema


out = []
for case in json.load(sys.stdin):
    schema = parse_schema(case["avro_schema"])
    _, parse = yaml_io._create_parser("JSON", case["json_schema"])
    results = []
    for record in case["records"]:
        buffer = io.StringIO()
        json_writer(buffer, schema, [record])
        text = buffer.getvalue().strip()
        try:
            results.append({"message": text, "ok": True, "row": plain(parse(text.encode("utf-8")))})
        except Exception as e:  # the message goes to the dead-letter output
            results.append({"message": text, "ok": False, "error": f"{type(e).__name__}: {e}"[:300]})
    out.append(results)
json.dump(out, sys.stdout)
