"""CloudWatch Embedded Metric Format: one JSON object per line, CloudWatch turns it into metrics.

Each object carries ``_aws.Timestamp`` (ms), one ``CloudWatchMetrics`` directive with the namespace,
the dimension sets and the metric definitions (name, unit), and the values at the root. Tags become
root-level members: the metric's *declared* tag keys are dimensions (at most 30; a declared metric's
keys are few and bounded), every other tag is a property, searchable in Logs Insights but not a
dimension, so a high-cardinality tag never multiplies CloudWatch metrics. Every metric is also
published without dimensions (the empty dimension set), which is what a service-wide alarm watches.

Metrics that share timestamp and tags share one object, at most 100 metrics per object and 100
values per metric (the EMF limits).
"""

from __future__ import annotations

import json

from .._units import cloudwatch_unit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._metric import Metric

NAME = "emf"
DEFAULT_NAMESPACE = "LambdaMetrics"
MAX_DIMENSIONS = 30
MAX_METRICS = 100
MAX_VALUES = 100

def _root_members(tags: tuple[str, ...], dimension_keys: tuple[str, ...]) -> tuple[dict[str, object], list[str]]:
    members: dict[str, object] = {}
    bare: list[str] = []
    for tag in tags:
        key, sep, value = tag.partition(":")
        if not sep:
            bare.append(tag)
        elif key == "_aws" or key == "tags":
            members[f"tag.{key}"] = value
        else:
            members[key] = value
    if bare:
        members["tags"] = bare
    dims = [k for k in dimension_keys if k in members and isinstance(members[k], str)][:MAX_DIMENSIONS]
    return members, dims


def encode_batch(metrics: list[Metric], namespace: str = DEFAULT_NAMESPACE) -> list[str]:
    """Encode metrics into as few EMF objects as the format allows, one JSON text per object."""
    groups: dict[tuple[object, ...], dict[str, list[Metric]]] = {}
    for m in metrics:
        groups.setdefault((m.timestamp, m.tags, m.dimensions), {}).setdefault(m.name, []).append(m)
    lines: list[str] = []
    for (timestamp, tags, dimension_keys), by_name in groups.items():
        members, dims = _root_members(tags, dimension_keys)  # type: ignore[arg-type]
        names = list(by_name)
        for start in range(0, len(names), MAX_METRICS):
            chunk = names[start : start + MAX_METRICS]
            # A metric with more values than one object holds spills into further objects.
            while chunk:
                obj: dict[str, object] = {}
                definitions = []
                rest = []
                for name in chunk:
                    points = by_name[name]
                    first, by_name[name] = points[:MAX_VALUES], points[MAX_VALUES:]
                    if by_name[name]:
                        rest.append(name)
                    definitions.append({"Name": name, "Unit": cloudwatch_unit(first[0].unit, first[0].type)})
                    values = [p.value for p in first]
                    obj[name] = values[0] if len(values) == 1 else values
                dimension_sets = [[], dims] if dims else [[]]
                head = {
                    "_aws": {
                        "Timestamp": int(timestamp) * 1000,  # type: ignore[call-overload]
                        "CloudWatchMetrics": [
                            {"Namespace": namespace, "Dimensions": dimension_sets, "Metrics": definitions}
                        ],
                    }
                }
                lines.append(json.dumps({**head, **members, **obj}, separators=(",", ":")))
                chunk = rest
    return lines


def encode(metric: Metric, namespace: str = DEFAULT_NAMESPACE) -> str:
    """One metric as one EMF object."""
    return encode_batch([metric], namespace)[0]
