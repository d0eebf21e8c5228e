"""The inverse of the encoders: read a written line back into a :class:`Metric`.

``parse_line`` accepts exactly what the encoders may write, and what Datadog's format allows:

* ``MONITORING|<epoch>|<value>|<type>|<name>`` with an optional sixth field ``#<tag>,<tag>``
  (``#`` alone: no tags; this library always writes the sixth field);
* the Forwarder's JSON ``{"m": name, "v": value, "e": epoch, "t": [tags]}`` (type ``distribution``,
  which is what the Forwarder makes of it).

Any other line (a log message) is ``None``; a line that claims to be a metric but breaks the format
raises :class:`MetricError` saying which field is wrong.
"""

from __future__ import annotations

from . import _validate
from ._errors import MetricError
from ._metric import CHECK_RULE, TYPES, Metric

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_NUMBER_CHARS = frozenset("0123456789+-.eE")


def _number(text: str) -> int | float:
    if not text or not _NUMBER_CHARS.issuperset(text):
        raise MetricError("value", text, "a metric value is a finite decimal number")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise MetricError("value", text, "a metric value is a finite decimal number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise MetricError("value", text, "a metric value must be finite")
    return value


def _epoch(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise MetricError("timestamp", text, "a timestamp is whole epoch seconds")
    seconds = int(text)
    if seconds >= 100_000_000_000:
        raise MetricError("timestamp", text, "looks like milliseconds: epoch seconds expected")
    return seconds


def _tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or _validate.normalize_tag(tag) != tag:
        raise MetricError("tag", tag, "a written tag is non-empty and already normalized ([a-z0-9_-:./])")
    return tag


def parse_monitoring(line: str) -> Metric:
    fields = line.split("|")
    if len(fields) not in (5, 6) or fields[0] != "MONITORING":
        raise MetricError("line", line, "MONITORING|<epoch>|<value>|<type>|<name>[|#<tags>] has 5 or 6 fields")
    timestamp = _epoch(fields[1])
    value = _number(fields[2])
    mtype = fields[3]
    if mtype not in TYPES:
        raise MetricError("type", mtype, f"one of {', '.join(TYPES)}")
    name = _validate.check_name(fields[4])
    tags: tuple[str, ...] = ()
    if len(fields) == 6:
        field = fields[5]
        if not field.startswith("#"):
            raise MetricError("tags", field, "the tag field starts with '#'")
        if len(field) > 1:
            tags = tuple(_tag(t) for t in field[1:].split(","))
    if mtype == "check" and value not in (0, 1, 2, 3):
        raise MetricError("value", value, CHECK_RULE, name)
    return Metric(name, value, mtype, tags, timestamp)


def parse_json(line: str) -> Metric | None:
    import json

    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict) or "m" not in data or "_aws" in data:
        return None
    extra = set(data) - {"m", "v", "e", "t"}
    if extra or "v" not in data or "e" not in data:
        raise MetricError("line", line, 'a Forwarder metric line has exactly the keys "m", "v", "e" and "t"')
    name = _validate.check_name(data["m"])
    value = data["v"]
    if type(value) not in (int, float):
        raise MetricError("value", value, "a metric value is a finite number", name)
    value = _validate.check_value(value, name)
    timestamp = data["e"]
    if type(timestamp) is not int:
        raise MetricError("timestamp", timestamp, "a timestamp is whole epoch seconds", name)
    _epoch(str(timestamp))
    tags = data.get("t", [])
    if not isinstance(tags, list):
        raise MetricError("tags", tags, "a list of strings", name)
    return Metric(name, value, "distribution", tuple(_tag(t) for t in tags), timestamp)


def parse_emf(line: str) -> list[Metric]:
    """Every metric of one EMF object (empty if the line is not EMF)."""
    import json

    try:
        data = json.loads(line)
    except ValueError:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("_aws"), dict):
        return []
    aws = data["_aws"]
    timestamp = int(aws["Timestamp"]) // 1000
    tags = tuple(
        f"{k.removeprefix('tag:')}:{v}" for k, v in data.items() if k != "_aws" and isinstance(v, str)
    ) + tuple(data.get("tags") or data.get("tags:bare") or ())
    out: list[Metric] = []
    for directive in aws["CloudWatchMetrics"]:
        dims = tuple(sorted({d for ds in directive["Dimensions"] for d in ds}))
        for definition in directive["Metrics"]:
            name = definition["Name"]
            values = data[name] if isinstance(data[name], list) else [data[name]]
            out.extend(Metric(name, v, "emf", tags, timestamp, definition.get("Unit"), dims) for v in values)
    return out


def parse_line(line: str) -> Metric | None:
    """One written line -> :class:`Metric`; ``None`` for a line that is not a metric.

    >>> parse_line("MONITORING|1700000000|3|count|image.processed|#format:png")
    Metric(name='image.processed', value=3, type='count', tags=('format:png',), timestamp=1700000000)
    """
    if line.endswith("\n"):
        line = line[:-1]
    if line.startswith("MONITORING|"):
        return parse_monitoring(line)
    if line.startswith("{") and '"m"' in line:
        return parse_json(line)
    return None
