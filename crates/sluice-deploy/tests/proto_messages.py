"""Reads {"proto", "json_schema", "records"} cases on stdin. Each .proto is
compiled by protoc (grpcio-tools, which the pinned apache-beam installs); each
record is made a message of the file's first message type and written with
protobuf's own json_format.MessageToJson (protobuf's JSON mapping, as a publisher
to a topic with a Protocol Buffer schema and JSON encoding writes it), then read
back with the parser Beam YAML's ReadFromPubSub uses for format JSON
(yaml_io._create_parser) and the JSON schema Sluice deploys. Prints, per case:
{"json_names": {field: json_name} from protoc, "results": [per record
{"message": text, "ok": true, "row": {...}} or {"message": text, "ok": false,
"error": ...}]}."""
import json
import os
import sys
import tempfile

from apache_beam.yaml import yaml_io
from beam_rows import plain
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_tools import protoc


out = []
for i, case in enumerate(json.load(sys.stdin)):
    folder = tempfile.mkdtemp()
    name = f"case{i}.proto"
    with open(os.path.join(folder, name), "w") as f:
        f.write(case["proto"])
    descriptors = os.path.join(folder, "set.pb")
    if protoc.main(["protoc", f"-I{folder}", f"--descriptor_set_out={descriptors}", name]) != 0:
        raise SystemExit(f"protoc refused case {i}")
    files = descriptor_pb2.FileDescriptorSet.FromString(open(descriptors, "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for file in files.file:
        pool.Add(file)
    top = files.file[0].message_type[0]
    full = f"{files.file[0].package}.{top.name}" if files.file[0].package else top.name
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(full))
    _, parse = yaml_io._create_parser("JSON", case["json_schema"])
    results = []
    for record in case["records"]:
        text = json_format.MessageToJson(json_format.ParseDict(record, cls()), indent=None)
        try:
            results.append({"message": text, "ok": True, "row": plain(parse(text.encode("utf-8")))})
        except Exception as e:  # the message goes to the dead-letter output
            results.append({"message": text, "ok": False, "error": f"{type(e).__name__}: {e}"[:300]})
    out.append({"json_names": {f.name: f.json_name for f in top.field}, "results": results})
json.dump(out, sys.stdout)
