"""Runs the Python half of Sluice's Beam YAML pipelines on Beam's DirectRunner.

Usage: beam_half.py MANIFEST.json (written by tests/beam_half.rs).

For each pipeline of the manifest, with the apache-beam[yaml] that Google's
Yaml_Template runs (crates/sluice-deploy/BEAM_VERSION):

1. Beam's own checks: `validate_against_schema(spec, 'generic')`, and the config
   keys of the Java transforms (Sql, ReadFromBigQuery, WriteToBigQuery) against
   the mappings of standard_io.yaml / standard_providers.yaml.
2. The pipeline itself, expanded by Beam YAML (`expand_pipeline`) and run: every
   Python transform is Beam's own (ReadFromPubSub's parsing and error handling,
   Sluice's MapToFields steps, WriteToPubSub's formatting). Only what cannot run
   here is replaced: the Pub/Sub connection (`beam.io.ReadFromPubSub` yields the
   manifest's messages, `beam.io.WriteToPubSub` collects what is published) and
   the three Java transforms (the `Sql` transform yields the manifest's output
   rows, typed as Java SQL's rows reach Python; the BigQuery read yields nothing;
   the BigQuery write collects rows and, when it catches errors, emits one error
   row shaped as Java's (`failed_row`, `error_message`)).
3. Checks, with Beam's `assert_that`: what reaches the `Sql` transform has only
   types Beam SQL maps (no `micros_instant`) and its time text is what the
   simulator reads from the same message; bad messages (null, wrong type,
   garbage, a time that does not parse) land in the dead-letter table from the
   step that caught them; the published messages are byte for byte what the
   simulator shows (sluice_engine::message).

Prints "N pipelines ran" and exits 0, or names every problem and exits 1.
"""
import base64
import datetime
import decimal
import inspect
import json
import os
import sys
import typing

import yaml

import apache_beam as beam
from apache_beam.io.gcp import pubsub
from apache_beam.portability.api import schema_pb2
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.typehints import schemas
from apache_beam.typehints.row_type import RowTypeConstraint
from apache_beam.utils.timestamp import Timestamp
from apache_beam.yaml import yaml_provider, yaml_transform
from apache_beam.yaml.yaml_utils import SafeLineLoader

BEAM_YAML = os.path.dirname(yaml_transform.__file__)
JAVA = {
    'Sql': 'SluiceTestSql',
    'ReadFromBigQuery': 'SluiceTestReadFromBigQuery',
    'WriteToBigQuery': 'SluiceTestWriteToBigQuery',
}
TIME_TEXT = 'YYYY-MM-DD HH:MM:SS.ffffff'


def java_mappings():
    keys = {}
    for name in ('standard_io.yaml', 'standard_providers.yaml'):
        with open(os.path.join(BEAM_YAML, name)) as f:
            for provider in yaml.safe_load(f):
                config = provider.get('config') or {}
                for transform, mapping in (config.get('mappings') or {}).items():
                    keys.setdefault(transform, set()).update(mapping)
    return keys


def python_type(t):
    """The Python type Java SQL's value of BigQuery type `t` arrives as."""
    kind = t['type']
    if kind == 'ARRAY':
        return typing.Sequence[python_type(t['items'])]
    if kind == 'STRUCT':
        return RowTypeConstraint.from_fields(
            [(f['name'], typing.Optional[python_type(f)]) for f in t['fields']])
    return {
        'INT64': int,
        'FLOAT64': float,
        'BOOL': bool,
        'STRING': str,
        'BYTES': bytes,
        'NUMERIC': decimal.Decimal,
        'TIMESTAMP': Timestamp,
        'DATETIME': Timestamp,
        'DATE': datetime.date,
    }[kind]


def python_value(t, v):
    """The Python value of `v` (the manifest's JSON) for BigQuery type `t`."""
    if v is None:
        return None
    kind = t['type']
    if kind == 'ARRAY':
        return [python_value(t['items'], e) for e in v]
    if kind == 'STRUCT':
        return beam.Row(**{
            f['name']: python_value(f, v.get(f['name']))
            for f in t['fields']
        })
    if kind in ('TIMESTAMP', 'DATETIME'):
        return Timestamp(micros=v)
    if kind == 'DATE':
        return datetime.date(1970, 1, 1) + datetime.timedelta(days=v)
    if kind == 'NUMERIC':
        # Java's BigDecimal of DECIMAL(38, 9) has scale 9.
        return decimal.Decimal(v).quantize(decimal.Decimal('1e-9'))
    if kind == 'BYTES':
        return base64.b64decode(v)
    return v


def row_type(columns):
    return RowTypeConstraint.from_fields(
        [(c['name'], typing.Optional[python_type(c)]) for c in columns])


def plain(v):
    """A row as plain JSON values (nested rows as objects)."""
    if hasattr(v, '_asdict'):
        return {k: plain(x) for k, x in v._asdict().items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def sql_mappable(field_type):
    """Whether Beam SQL (CalciteUtils.toSqlTypeName) has a type for it."""
    info = field_type.WhichOneof('type_info')
    if info == 'atomic_type':
        return True
    if info == 'array_type':
        return sql_mappable(field_type.array_type.element_type)
    if info == 'row_type':
        return all(sql_mappable(f.type) for f in field_type.row_type.schema.fields)
    return False  # logical types (micros_instant above all), maps, iterables


class Run:
    """One pipeline's run: the doubles, the captured outputs, the problems."""
    def __init__(self, case):
        self.case = case
        self.problems = []

    def providers(self):
        case = self.case
        run = self

        class SluiceTestSql(beam.PTransform):
            def __init__(self, query: str):
                self.query = query

            def expand(self, inputs):
                if isinstance(inputs, beam.PCollection):
                    inputs = {'PCOLLECTION': inputs}
                elif isinstance(inputs, beam.pvalue.PBegin):
                    inputs = {}
                expected_names = set(case['sql_inputs'])
                if set(inputs) != expected_names:
                    run.problems.append(
                        f'Sql inputs {sorted(inputs)}, expected {sorted(expected_names)}')
                for name, pcoll in inputs.items():
                    spec = case['sql_inputs'].get(name) or {}
                    if not spec.get('stream'):
                        continue
                    schema = schemas.schema_from_element_type(pcoll.element_type)
                    for field in schema.fields:
                        if not sql_mappable(field.type):
                            run.problems.append(
                                f'{name}.{field.name} reaches Sql as {field.type}, '
                                'which Beam SQL cannot map')
                    rows = (
                        pcoll | f'Plain{name}' >> beam.Map(
                            lambda r: json.dumps(plain(r), sort_keys=True)))
                    assert_that(
                        rows,
                        equal_to([json.dumps(r, sort_keys=True) for r in spec['rows']]),
                        label=f'SqlInput{name}')
                output = case['output']
                values = [
                    beam.Row(**{
                        c['name']: python_value(c, v)
                        for c, v in zip(output['columns'], row)
                    }) for row in output['rows']
                ]
                root = beam.pvalue.PBegin(
                    next(iter(inputs.values())).pipeline if inputs else None)
                return root | 'SqlRows' >> beam.Create(values).with_output_types(
                    row_type(output['columns']))

        class SluiceTestReadFromBigQuery(beam.PTransform):
            def __init__(self, table: str):
                self.table = table

            def expand(self, root):
                return root | beam.Create([]).with_output_types(
                    RowTypeConstraint.from_fields([('unused', int)]))

        class SluiceTestWriteToBigQuery(beam.PTransform):
            def __init__(
                self,
                table: str,
                create_disposition: str,
                write_disposition: str,
                num_streams: typing.Optional[int] = None,
                error_handling: typing.Optional[typing.Mapping[str, str]] = None):
                self.table = table
                self.error_handling = error_handling
                if case['streaming'] and num_streams is None:
                    run.problems.append(
                        f'streaming WriteToBigQuery into {table} without num_streams')

            def expand(self, pcoll):
                if self.table.endswith('_dead_letter'):
                    steps = pcoll | 'Steps' >> beam.Map(
                        lambda r: (r.step, isinstance(r.error, str) and isinstance(r.payload, str)))
                    expected = [(s, True) for s in case['dead_letters']]
                    assert_that(steps, equal_to(expected), label='DeadLetters')
                if not self.error_handling:
                    return {}
                first = case['output']['rows'][0]
                columns = case['output']['columns']
                failed = beam.Row(**{
                    c['name']: python_value(c, v) for c, v in zip(columns, first)
                })
                error = beam.Row(failed_row=failed, error_message='Sluice test: refused row')
                errors = pcoll.pipeline | 'JavaErrorRow' >> beam.Create([error])
                return {'errors': errors}

        return {
            'SluiceTestSql': [yaml_provider.InlineProvider({'SluiceTestSql': SluiceTestSql})],
            'SluiceTestReadFromBigQuery': [
                yaml_provider.InlineProvider(
                    {'SluiceTestReadFromBigQuery': SluiceTestReadFromBigQuery},
                    no_input_transforms=['SluiceTestReadFromBigQuery'])
            ],
            'SluiceTestWriteToBigQuery': [
                yaml_provider.InlineProvider(
                    {'SluiceTestWriteToBigQuery': SluiceTestWriteToBigQuery})
            ],
        }


def fake_pubsub(case, published):
    class FakeRead(beam.PTransform):
        def __init__(self, topic=None, **_):
            self.topic = topic

        def expand(self, root):
            messages = [
                pubsub.PubsubMessage(
                    m['data'].encode('utf-8'), {},
                    publish_time=Timestamp(micros=m['publish_micros']))
                for m in case['topics'][self.topic]['messages']
            ]
            return root | beam.Create(messages, reshuffle=False)

    class FakeWrite(beam.PTransform):
        def __init__(self, topic, **_):
            self.topic = topic

        def expand(self, pcoll):
            published.append(pcoll | beam.Map(lambda m: m.data.decode('utf-8')))
            return pcoll.pipeline | 'Done' >> beam.Create([])

    return FakeRead, FakeWrite


def check_java_config(spec, keys):
    problems = []
    for t in spec['pipeline']['transforms']:
        if t['type'] in JAVA:
            config = set((t.get('config') or {}).keys()) - {'__line__', '__uuid__'}
            unknown = config - keys.get(t['type'], set())
            if unknown:
                problems.append(f"{t['type']}: config Beam does not map: {sorted(unknown)}")
    return problems


def run_case(case, keys):
    with open(case['yaml']) as f:
        text = f.read()
    spec = yaml.load(text, Loader=SafeLineLoader)
    yaml_transform.validate_against_schema(spec, 'generic')
    problems = check_java_config(spec, keys)
    for t in spec['pipeline']['transforms']:
        t['type'] = JAVA.get(t['type'], t['type'])
    run = Run(case)
    published = []
    fake_read, fake_write = fake_pubsub(case, published)
    saved = beam.io.ReadFromPubSub, beam.io.WriteToPubSub
    beam.io.ReadFromPubSub, beam.io.WriteToPubSub = fake_read, fake_write
    try:
        with beam.Pipeline(runner='DirectRunner') as p:
            yaml_transform.expand_pipeline(p, spec, providers=run.providers())
            messages = (
                published if len(published) == 1 else
                [tuple(published) | 'AllMessages' >> beam.Flatten()])
            assert_that(
                messages[0], equal_to(case['output']['messages']), label='Published')
    finally:
        beam.io.ReadFromPubSub, beam.io.WriteToPubSub = saved
    return problems + run.problems


def main(manifest_path):
    with open(manifest_path) as f:
        cases = json.load(f)
    keys = java_mappings()
    failed = 0
    for case in cases:
        try:
            problems = run_case(case, keys)
        except Exception as e:  # Beam's own error, with the transform it names
            problems = [f'{type(e).__name__}: {e}']
        for p in problems:
            print(f"{case['yaml']}: {p}")
        failed += bool(problems)
    if failed:
        print(f'{failed} of {len(cases)} pipelines failed')
        return 1
    print(f'{len(cases)} pipelines ran')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
