"""The one small Protocol every resource kind implements, and the helpers they share.

A backend handles one kind of object in one service (Datadog monitors, CloudWatch alarms; dashboards
next). The engine never talks to a service directly: it asks the backend to list what the scope owns,
to read more about a few objects, and to create, update or delete. A third service is one module that
implements :class:`Backend` and one entry in :data:`monitors.sync.engine.BACKENDS`.

Every method may raise anything; ``classify`` turns an exception into a :class:`Failure` so the engine
knows whether to retry, wait for the rate limit, or give up.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from monitors.sync._retry import Failure, RateLimitGate, RetryPolicy
from monitors.sync._types import Desired, FieldChange, Remote

__all__ = ["Backend", "RequestCounter", "diff_fields"]


class RequestCounter:
    """Thread-safe count of requests by operation (``"list"``, ``"create"``...), for the summary and bench."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, operation: str, n: int = 1) -> None:
        with self._lock:
            self._counts[operation] += n

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values())


class Backend(Protocol):
    """One resource kind in one service.

    ``kind`` names the :class:`~monitors.model.DesiredState` section it serves (``"datadog_monitors"``);
    ``label`` is for people (``"Datadog monitor"``). ``names_unique`` says whether the service refuses
    two objects with one name (CloudWatch alarms) or allows it (Datadog monitors).
    """

    kind: str
    label: str
    names_unique: bool
    requests: RequestCounter
    retry: RetryPolicy
    gate: RateLimitGate

    def desired(self, obj: Any) -> Desired:
        """The model object (``.key``, ``.payload()``) as this backend will write and compare it."""
        ...

    def list_owned(self) -> list[Remote]:
        """Everything the scope may own, in as few list requests as possible (no per-object reads)."""
        ...

    def find_by_names(self, names: Sequence[str]) -> list[Remote]:
        """Objects with these exact names that :meth:`list_owned` did not return (adoption candidates)."""
        ...

    def verify(self, remotes: Sequence[Remote]) -> list[Remote]:
        """Re-read objects listed with ``verified=False`` (ownership and every managed field)."""
        ...

    def diff(self, desired: Desired, remote: Remote) -> list[FieldChange]:
        """The managed fields that differ (empty when nothing needs to change)."""
        ...

    def validate(self, desired: Desired) -> list[str]:
        """Ask the service whether it would accept the object; [] when it would."""
        ...

    def create(self, desired: Desired) -> str:
        """Create the object; returns its id."""
        ...

    def find_created(self, desired: Desired) -> str | None:
        """The id of an object created for ``desired`` whose answer may have been lost, or None."""
        ...

    def update(self, desired: Desired, remote: Remote) -> str:
        """Make ``remote`` look like ``desired`` (markers included); returns its id."""
        ...

    def delete(self, remotes: Sequence[Remote]) -> list[tuple[Remote, str | None]]:
        """Delete these objects (one request or one batch); per object, None or why it failed."""
        ...

    def max_delete_batch(self) -> int:
        """How many objects one :meth:`delete` call may take."""
        ...

    def classify(self, exc: BaseException) -> Failure:
        """What kind of failure an exception raised by this backend is."""
        ...


def _comparable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def diff_fields(new: Mapping[str, Any], old: Mapping[str, Any], fields: Iterable[str]) -> list[FieldChange]:
    """Field-by-field comparison of two normalized dicts; numbers compare by value (5 == 5.0)."""
    changes = []
    for name in fields:
        before, after = old.get(name), new.get(name)
        if _comparable(before) != _comparable(after):
            changes.append(FieldChange(name, before, after))
    return changes
