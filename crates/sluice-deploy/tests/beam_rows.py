"""What the differential scripts share: a Beam row as plain JSON."""


def plain(value):
    """A beam.Row (and the rows and lists inside it) as dicts and lists."""
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
