"""The Datadog Forwarder's JSON line: ``{"m":<name>,"v":<value>,"e":<epoch>,"t":[<tags>]}``.

This is what ``datadog_lambda`` writes with ``DD_FLUSH_TO_LOG``; the Forwarder submits every such
line as a distribution, whatever the metric's type. Names and tags are validated to a character
set that needs no JSON escaping, so the line is built by formatting, without :mod:`json`.
"""

from __future__ import annotations

from .monitoring import format_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .._metric import Metric

NAME = "datadog-json"


def head(name: str) -> str:
    """The part before the value, for a declared metric's pre-encoded line."""
    return f'{{"m":"{name}","v":'


def tail(tags: tuple[str, ...]) -> str:
    """The part after the timestamp, newline included."""
    return ',"t":[' + ",".join(f'"{t}"' for t in tags) + "]}\n"


def encode(metric: Metric) -> str:
    """One Forwarder JSON line (without the trailing newline)."""
    return f'{head(metric.name)}{format_value(metric.value)},"e":{metric.timestamp}{tail(metric.tags)[:-1]}'
