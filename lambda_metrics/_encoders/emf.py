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

#: Where bare tags (no ``:``) go; ``tags:bare`` when a metric of the object is named ``tags``.
BARE_TAGS = "tags"
#: A ``key:value`` tag whose key is taken (``_aws``, ``tags``, or a metric of the same object) becomes
#: the member ``tag:<key>``. No metric name and no normalized tag key contains ``:``, so nothing can
#: collide with a renamed member, and ``parse_emf`` maps it back to the tag.
RENAMED_PREFIX = "tag:"


def _root_members(
    tags: tuple[str, ...], dimension_keys: tuple[str, ...], metric_names: list[str]
) -> tuple[dict[str, object], list[str]]:
    taken = {"_aws", "tags", *metric_names}
    members: dict[str, object] = {}
    by_key: dict[str, str] = {}
    bare: list[str] = []
    for tag in tags:
        key, sep, value = tag.partition(":")
        if not sep:
            bare.append(tag)
            continue
        member = f"{RENAMED_PREFIX}{key}" if key in taken else key
        members[member] = value
        by_key[key] = member
    if bare:
        members["tags:bare" if "tags" in metric_names else BARE_TAGS] = bare
    dims = [by_key[k] for k in dimension_keys if k in by_key][:MAX_DIMENSIONS]
    return members, dims


def encode_batch(metrics: list[Metric], namespace: str = DEFAULT_NAMESPACE) -> list[str]:
    """Encode metrics into as few EMF objects as the format allows, one JSON text per object."""
    groups: dict[tuple[object, ...], dict[str, list[Metric]]] = {}
    for m in metrics:
        groups.setdefault((m.timestamp, m.tags, m.dimensions), {}).setdefault(m.name, []).append(m)
    lines: list[str] = []
    for (timestamp, tags, dimension_keys), by_name in groups.items():
        names = list(by_name)
        for start in range(0, len(names), MAX_METRICS):
            chunk = names[start : start + MAX_METRICS]
            members, dims = _root_members(tags, dimension_keys, chunk)  # type: ignore[arg-type]
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
