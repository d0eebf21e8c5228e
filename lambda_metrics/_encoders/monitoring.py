"""Datadog's classic log line: ``MONITORING|<epoch>|<value>|<type>|<name>|#<tag1,tag2>``.

The tag field is always written, empty when there are no tags (``...|my.metric|#``): one form for
every line, which the Datadog Forwarder reads as "no tags".
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._metric import Metric

NAME = "monitoring"
HEAD = "MONITORING|"


def format_value(value: int | float) -> str:
    """Ints as ints, floats in their shortest round-trip form (``repr``)."""
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def suffix(name: str, mtype: str, tags: tuple[str, ...]) -> str:
    """Everything after the value, newline included: what a declared metric pre-encodes."""
    return f"|{mtype}|{name}|#{','.join(tags)}\n"


def encode(metric: Metric) -> str:
    """One MONITORING line (without the trailing newline)."""
    return (
        f"{HEAD}{metric.timestamp}|{format_value(metric.value)}|{metric.type}|{metric.name}"
        f"|#{','.join(metric.tags)}"
    )
