"""The one exception of the runtime library."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class MetricError(ValueError):
    """A metric that cannot be written as asked.

    Carries what was wrong (``field``), the offending ``value`` and the ``rule`` it broke, so a
    test or a log line can say exactly what to fix::

        MetricError: tag 'format:png|x' of metric 'image.processed': ...
    """

    def __init__(self, field: str, value: Any, rule: str, metric: str | None = None) -> None:
        self.field = field
        self.value = value
        self.rule = rule
        self.metric = metric
        where = f" of metric {metric!r}" if metric is not None and field != "name" else ""
        super().__init__(f"{field} {value!r}{where}: {rule}")
