"""The record type: one metric point as written and as parsed back."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OK = 0
WARNING = 1
CRITICAL = 2
UNKNOWN = 3

#: The metric types a MONITORING line can carry. ``distribution`` is what the Datadog Forwarder
#: makes of a ``{"m","v","e","t"}`` JSON line, which has no type field.
TYPES = ("count", "gauge", "histogram", "check")
CHECK_RULE = "a check status is 0 (OK), 1 (WARNING), 2 (CRITICAL) or 3 (UNKNOWN)"


class Metric:
    """One metric point: ``name``, ``value``, ``type``, ``tags`` (a tuple) and ``timestamp`` (epoch s).

    ``unit`` and ``dimensions`` (the declared tag keys) only matter to the EMF encoder. Instances are
    immutable by convention and compare by value, so tests can write
    ``assert captured == [Metric("image.processed", 1, "count", ("format:png",), 1700000000)]``.
    """

    __slots__ = ("dimensions", "name", "tags", "timestamp", "type", "unit", "value")

    def __init__(
        self,
        name: str,
        value: int | float,
        type: str,
        tags: tuple[str, ...] = (),
        timestamp: int = 0,
        unit: str | None = None,
        dimensions: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.value = value
        self.type = type
        self.tags = tags
        self.timestamp = timestamp
        self.unit = unit
        self.dimensions = dimensions

    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.value, self.type, self.tags, self.timestamp)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Metric):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Metric(name={self.name!r}, value={self.value!r}, type={self.type!r}, "
            f"tags={self.tags!r}, timestamp={self.timestamp!r})"
        )

    def tag_dict(self) -> dict[str, str]:
        """The ``key:value`` tags as a dict (a bare tag maps to ``""``)."""
        out: dict[str, str] = {}
        for tag in self.tags:
            key, _, value = tag.partition(":")
            out[key] = value
        return out
