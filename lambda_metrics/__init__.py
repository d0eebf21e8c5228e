"""Custom metrics from inside AWS Lambda, written as one stdout line each.

>>> import lambda_metrics as lm
>>> lm.count("image.processed", 1, tags=["format:png"])
# writes MONITORING|<epoch>|1|count|image.processed|#format:png
>>> IMAGES = lm.Counter("screen_resize.images", tags=("format",))
>>> IMAGES.inc(format="png")

Lines go to stdout, where CloudWatch Logs captures them and Datadog (or CloudWatch, with EMF)
ingests them: no HTTP call from inside the function. Standard library only; see README.md.
"""

from __future__ import annotations

from ._declared import Check, Counter, Gauge, Histogram, Timer
from ._errors import MetricError
from ._instrument import instrument
from ._metric import CRITICAL, OK, UNKNOWN, WARNING, Metric
from ._parse import parse_line
from ._state import STATE as _STATE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ._state import Stream
    from ._validate import TagsArg

__all__ = [
    "CRITICAL",
    "OK",
    "UNKNOWN",
    "WARNING",
    "Check",
    "Counter",
    "Gauge",
    "Histogram",
    "Metric",
    "MetricError",
    "Timer",
    "check",
    "configure",
    "count",
    "dropped",
    "flush",
    "gauge",
    "histogram",
    "instrument",
    "parse_line",
    "timed",
]
__version__ = "0.1.0"



if TYPE_CHECKING:

    def count(name: str, value: int | float = 1, tags: TagsArg = None, timestamp: Any = None) -> None: ...
    def gauge(name: str, value: int | float, tags: TagsArg = None, timestamp: Any = None) -> None: ...
    def histogram(name: str, value: int | float, tags: TagsArg = None, timestamp: Any = None) -> None: ...
    def check(name: str, status: int, tags: TagsArg = None, timestamp: Any = None) -> None: ...

else:
    # Closures made by _state.make_recorder: one frame per call. A missing value is reported like a bad one.
    from ._state import check, count, gauge, histogram


def timed(name: str, tags: TagsArg = None) -> Timer:
    """Histogram of elapsed milliseconds, as a context manager or a decorator.

    ``with lm.timed("image.resize_ms", tags=["size:large"]): ...``
    """

    def observe(elapsed_ms: float) -> None:
        _STATE.record(name, elapsed_ms, "histogram", tags)

    return Timer(observe, {})


def flush() -> None:
    """Write what is buffered, then flush the stream. ``@instrument`` calls it after every invocation."""
    try:
        _STATE.flush()
    except Exception as err:
        _STATE.internal_error(err)


def configure(
    strict: bool | None = None,
    format: str | Iterable[str] | None = None,
    stream: Stream | None = None,
    default_tags: TagsArg = None,
    buffered: bool | None = None,
    enabled: bool | None = None,
    namespace: str | None = None,
) -> None:
    """Override what the environment set; ``None`` leaves a setting as it is.

    ``format``: ``"monitoring"`` (default), ``"datadog-json"``, ``"emf"``, or several (``"monitoring,emf"``).
    ``stream``: any object with ``write(str)`` (default: ``sys.stdout`` at the time of each write).
    ``default_tags`` replace ``DD_ENV``/``DD_SERVICE``/``DD_VERSION``/``DD_TAGS``.
    ``namespace``: the CloudWatch namespace of EMF metrics.
    Raises :class:`MetricError` for an unknown format or a bad argument.
    """
    _STATE.configure(strict, format, stream, default_tags, buffered, enabled, namespace)


def dropped() -> int:
    """How many metrics were dropped (lenient mode) since start-up or ``testing.reset()``."""
    return _STATE.dropped
