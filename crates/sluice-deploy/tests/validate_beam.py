"""Validates Beam YAML pipelines with Beam's own checks (apache-beam[yaml]).

For each file: the generic pipeline schema of apache_beam.yaml.yaml_transform,
then each transform's config keys, the Pub/Sub JSON schema through Beam's
own json_schema_to_beam_schema, against what Beam's providers accept
(standard_io.yaml's mappings for the Java transforms, the Python signatures of
ReadFromPubSub and WriteToPubSub), and that every input names a transform.
Prints "N pipelines valid" and exits 0, or names every problem and exits 1.
"""
import inspect
import os
import sys

import yaml
from apache_beam.yaml import json_utils, yaml_io, yaml_transform

BEAM_YAML = os.path.dirname(yaml_transform.__file__)


def mappings():
    keys = {}
    for name in ("standard_io.yaml", "standard_providers.yaml"):
        with open(os.path.join(BEAM_YAML, name)) as f:
            for provider in yaml.safe_load(f):
                config = provider.get("config") or {}
                for transform, mapping in (config.get("mappings") or {}).items():
                    keys[transform] = set(mapping)
    for transform, fn in (
        ("ReadFromPubSub", yaml_io.read_from_pubsub),
        ("WriteToPubSub", yaml_io.write_to_pubsub),
    ):
        params = inspect.signature(fn).parameters
        keys[transform] = {p for p in params if p not in ("root", "pcoll")}
        keys[transform + ".required"] = {
            p
            for p, v in params.items()
            if v.kind == v.KEYWORD_ONLY and v.default is inspect.Parameter.empty
        }
    return keys


def check(path, keys):
    with open(path) as f:
        spec = yaml.safe_load(f)
    yaml_transform.validate_against_schema(spec, "generic")
    problems = []
    transforms = spec["pipeline"]["transforms"]
    names = {t.get("name", t["type"]) for t in transforms}
    for t in transforms:
        known = keys.get(t["type"])
        config = set((t.get("config") or {}).keys())
        if known is None:
            problems.append(f"unknown transform type {t['type']}")
        elif config - known:
            problems.append(f"{t['type']}: unknown config {sorted(config - known)}")
        missing = keys.get(t["type"] + ".required", set()) - config
        if missing:
            problems.append(f"{t['type']}: missing config {sorted(missing)}")
        if t["type"] == "ReadFromPubSub" and t["config"].get("format") == "JSON":
            # Beam's own conversion of the message schema into the rows' schema.
            json_utils.json_schema_to_beam_schema(t["config"]["schema"])
        inputs = t.get("input", {})
        for source in inputs.values() if isinstance(inputs, dict) else [inputs]:
            if source not in names:
                problems.append(f"{t['type']}: input {source} is no transform")
    return problems


def main(paths):
    keys = mappings()
    failed = 0
    for path in paths:
        try:
            problems = check(path, keys)
        except Exception as e:  # the validator's own error, with its line
            problems = [f"{type(e).__name__}: {e}"]
        for p in problems:
            print(f"{path}: {p}")
        failed += bool(problems)
    if failed:
        print(f"{failed} of {len(paths)} pipelines invalid")
        return 1
    print(f"{len(paths)} pipelines valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
