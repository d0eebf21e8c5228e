"""Declared metrics: validated once at declaration, cheap on every call.

A declared metric checks its name, tag keys and unit when it is created, and keeps the tail of its
line pre-encoded (type, name, tags) for the current configuration. A call then only formats the
timestamp and the value and hands one string to the writer. Tag values passed as keywords are
normalized once per distinct set and cached on the metric.
"""

from __future__ import annotations

import sys
from _operator import itemgetter
from time import perf_counter
from time import time as _time

from . import _units, _validate
from ._errors import MetricError
from ._metric import CHECK_RULE
from ._state import STATE, acquire, line_parts, register, release, whole_second
from ._validate import MAX_INT, MIN_INT

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])
    D = TypeVar("D", bound="_Declared")


#: This module's copy of the once-per-second clock of ``_state`` (see there): ``_lo <= now < _hi``
#: exactly when ``int(now)`` is ``_sec``; ``_pre`` is ``"MONITORING|<_sec>|"``.
_lo = _hi = 0.0
_sec = _pre = ""


def _tick(now: float) -> None:
    global _lo, _hi, _sec, _pre
    lo, hi, sec, pre = whole_second(now)
    _sec = sec  # four stores, no call in between: atomic under the GIL
    _pre = pre
    _lo = lo
    _hi = hi


class _Declared:
    """What every declared metric has: ``name``, ``type``, ``tag_keys``, ``description``, ``unit``."""

    __slots__ = ("__weakref__", "_bound", "_by_values", "_free", "_gen", "_head", "_held", "_key1", "_nkeys",
                 "_tail", "_tails", "_values_of", "description", "name", "tag_keys", "unit")
    type = "gauge"

    def __init__(
        self,
        name: str,
        tags: tuple[str, ...] | list[str] = (),
        description: str = "",
        unit: str | None = None,
    ) -> None:
        self.name = _validate.check_name(name)
        if isinstance(tags, str):  # type: ignore[unreachable]
            raise MetricError("tags", tags, "declare tag keys as a tuple of strings, e.g. tags=('format',)", name)
        self.tag_keys = tuple(_validate.check_tag_key(k, name) for k in tags)
        if len(set(self.tag_keys)) != len(self.tag_keys):
            raise MetricError("tags", tags, "a tag key is declared twice", name)
        if unit is not None and (not isinstance(unit, str) or not _units.is_known(unit)):
            raise MetricError("unit", unit, f"known units: {', '.join(sorted(_units.UNITS))}", name)
        self.description = str(description)
        self.unit = unit
        self._setup({})

    def _setup(self, bound: dict[str, Any]) -> None:
        #: Tag values fixed by ``tagged()``, and the declared keys a call may still give.
        self._bound = bound
        self._free = tuple(k for k in self.tag_keys if k not in bound)
        self._gen = -1
        self._head: str | None = None
        self._tail: str | None = None
        # Tails per tag values: ``_by_values`` when every free key is given (keyed by the values in
        # declared order, read by one C call; by the value itself for one key), ``_tails`` for a subset
        # (keyed by the items).
        self._nkeys = len(self._free)
        self._key1 = self._free[0] if self._nkeys == 1 else None
        self._values_of: Callable[[dict[str, Any]], object] | None = itemgetter(*self._free) if self._free else None
        self._by_values: dict[object, str | None] = {}
        self._tails: dict[object, str | None] = {}
        self._held: dict[object, str | None] = {}
        register(self)

    def tagged(self: D, **tags: Any) -> D:
        """This metric with some tag values fixed, validated and encoded once (raises :class:`MetricError`).

        ``PNG = IMAGES.tagged(format="png")`` then ``PNG.inc()`` writes what ``IMAGES.inc(format="png")``
        writes at the cost of an untagged ``inc()``: for tag values known in advance, in hot loops. Bind
        once: ``tagged()`` itself validates and builds a new object.
        """
        self._check_keys(tags)
        child = object.__new__(type(self))
        child.name, child.tag_keys = self.name, self.tag_keys
        child.description, child.unit = self.description, self.unit
        child._setup({**self._bound, **tags})
        _validate.normalize_tags(child._ordered({}), self.name)  # a value that cannot be a tag fails here
        return child

    def _invalidate(self) -> None:
        """The configuration changed: the next call rebuilds the pre-encoded tail."""
        self._tail = None
        self._by_values = {}
        self._tails = {}
        self._held = {}

    def __repr__(self) -> str:
        bound = "".join(f".tagged({k}={v!r})" for k, v in self._bound.items())
        return f"{type(self).__name__}({self.name!r}, tags={self.tag_keys!r}){bound}"

    # The fast path hands over here whenever it cannot write directly.
    def _emit(self, value: Any, tags: dict[str, Any]) -> None:
        state = STATE
        try:
            if self._gen != state.gen:
                self._rebuild()
            if state.fast is not None:
                tail = self._tail_for(tags) if tags else self._tail
            elif state.hold_format is not None:  # buffered, one line format: keep the encoded line
                try:  # read the cache here: going through _tail_for costs about 120 ns per metric
                    tail = self._held[tuple(tags.items())]
                except (KeyError, TypeError):  # not cached yet (or not cacheable)
                    tail = self._tail_for(tags, held=True)
            else:
                tail = None
            kind = type(value)
            if tail is not None and (
                (kind is int and MIN_INT <= value <= MAX_INT) or (kind is float and value - value == 0.0)
            ):
                self._check(value)
                head = self._head
                if state.fast is None:
                    state.hold(self.type == "count", value, head, tail)
                elif head is None:
                    state.write(f"MONITORING|{int(_time())}|{value}{tail}")
                else:
                    state.write(f'{head}{value},"e":{int(_time())}{tail}')
                return
            self._check_keys(tags)
            value = _validate.check_value(value, self.name)
            self._check(value)
        except MetricError as err:
            state.reject(err)
            return
        except Exception as err:
            state.internal_error(err)
            return
        state.record(self.name, value, self.type, self._ordered(tags) or None, None, self.unit, self.tag_keys)

    def _check(self, value: int | float) -> None:
        """Type-specific rules on an already finite value."""

    def _check_keys(self, tags: dict[str, Any]) -> None:
        for key in tags:
            if key in self._bound:
                raise MetricError("tag key", key, f"already set to {self._bound[key]!r} by tagged()", self.name)
            if key not in self.tag_keys:
                allowed = ", ".join(self.tag_keys) or "none"
                raise MetricError("tag key", key, f"not declared on this metric (declared: {allowed})", self.name)

    def _ordered(self, tags: dict[str, Any]) -> list[str]:
        """The tags given plus the bound ones, as ``k:v`` (``k`` for ``None``) in declared order."""
        if self._bound:
            tags = {**self._bound, **tags}
        return [f"{k}:{tags[k]}" if tags[k] is not None else k for k in self.tag_keys if k in tags]

    def _rebuild(self) -> None:
        state = STATE
        self._by_values = {}
        self._tails = {}
        self._held = {}
        self._gen = state.gen
        bound = _validate.normalize_tags(self._ordered({}), self.name) if self._bound else ()
        tail = self._encode_tail(state.merge_tags(bound))
        self._tail = tail if state.fast is not None else None  # None: the hot paths hand over to _emit

    def _encode_tail(self, tags: tuple[str, ...]) -> str | None:
        fmt = STATE.fast or STATE.hold_format
        if fmt is None:
            return None
        self._head, tail = line_parts(fmt, self.name, self.type, tags)
        return tail

    def _lookup(self, tags: dict[str, Any]) -> tuple[dict[object, str | None], object]:
        """Which cache holds the tail for these tag values, and under which key (the same as the hot paths)."""
        if len(tags) == self._nkeys and self._values_of is not None:
            try:
                return self._by_values, self._values_of(tags)
            except KeyError:  # an undeclared key in place of a declared one
                pass
        return self._tails, tuple(tags.items())

    def _tail_for(self, tags: dict[str, Any], held: bool = False) -> str | None:
        """The encoded tail for these tag values: from the hot paths' caches, or (``held``) from the one
        buffered mode uses, which the hot paths never read (they would write at once)."""
        cache, key = (self._held, tuple(tags.items())) if held else self._lookup(tags)
        try:
            tail = cache.get(key, False)
        except TypeError:  # an unhashable tag value
            tail = False
            key = None
        if tail is False:
            self._check_keys(tags)
            own = _validate.normalize_tags(self._ordered(tags), self.name)
            tail = self._encode_tail(STATE.merge_tags(own))
            # Only string values are cached: 1, 1.0 and True are equal keys but different tags.
            if key is not None and all(type(v) is str for v in tags.values()):
                if len(cache) >= 1024:
                    cache.clear()
                cache[key] = tail
        return tail  # type: ignore[return-value]


class Counter(_Declared):
    """A count: ``IMAGES = Counter("screen_resize.images", tags=("format",)); IMAGES.inc(format="png")``."""

    __slots__ = ()
    type = "count"

    def inc(self, value: int | float = 1, **tags: Any) -> None:
        """Add ``value`` (default 1, never negative) with the given declared tag values."""
        if tags:
            try:
                if len(tags) != self._nkeys:
                    tail = self._tails.get(tuple(tags.items()))
                elif self._key1 is not None:  # the one free key: its value is the cache key
                    tail = self._by_values.get(tags.get(self._key1))
                else:  # every free key: one C call reads the values in declared order
                    tail = self._by_values.get(self._values_of(tags))  # type: ignore[misc]
            except (KeyError, TypeError):  # an undeclared key, an unhashable value
                tail = None
        else:
            tail = self._tail
        if tail is None or type(value) is not int or not 0 <= value <= MAX_INT:
            return self._emit(value, tags)
        now = _time()
        if not _lo <= now < _hi:
            _tick(now)
        head = self._head
        line = f"{_pre}{value}{tail}" if head is None else f'{head}{value},"e":{_sec}{tail}'
        out = STATE.stream
        if out is None:
            out = sys.stdout
        try:
            acquire()
            try:
                out.write(line)
            finally:
                release(True)
        except Exception as err:
            STATE.write_failed(err, line)

    def _check(self, value: int | float) -> None:
        if value < 0:
            raise MetricError("value", value, "a counter only goes up; use a Gauge or lm.count() for negatives",
                              self.name)


class Gauge(_Declared):
    """A value at a point in time: ``DEPTH = Gauge("queue.depth"); DEPTH.set(4)``."""

    __slots__ = ()
    type = "gauge"

    def set(self, value: int | float, **tags: Any) -> None:
        self._emit(value, tags)


class Histogram(_Declared):
    """A distribution of values: ``RESIZE.observe(41.7)`` or ``with RESIZE.time(): ...`` (ms)."""

    __slots__ = ()
    type = "histogram"

    def observe(self, value: int | float, **tags: Any) -> None:
        if tags:
            try:
                if len(tags) != self._nkeys:
                    tail = self._tails.get(tuple(tags.items()))
                elif self._key1 is not None:  # the one free key: its value is the cache key
                    tail = self._by_values.get(tags.get(self._key1))
                else:  # every free key: one C call reads the values in declared order
                    tail = self._by_values.get(self._values_of(tags))  # type: ignore[misc]
            except (KeyError, TypeError):  # an undeclared key, an unhashable value
                tail = None
        else:
            tail = self._tail
        kind = type(value)
        if (
            tail is None
            or (kind is not float and (kind is not int or not MIN_INT <= value <= MAX_INT))
            or value - value != 0  # NaN and infinities
        ):
            return self._emit(value, tags)
        now = _time()
        if not _lo <= now < _hi:
            _tick(now)
        head = self._head
        line = f"{_pre}{value}{tail}" if head is None else f'{head}{value},"e":{_sec}{tail}'
        out = STATE.stream
        if out is None:
            out = sys.stdout
        try:
            acquire()
            try:
                out.write(line)
            finally:
                release(True)
        except Exception as err:
            STATE.write_failed(err, line)

    def time(self, **tags: Any) -> Timer:
        """Time a block or a function in milliseconds: ``with RESIZE.time(format="png"): ...``."""
        return Timer(self.observe, tags)


class Check(_Declared):
    """A service check: ``PIPELINE = Check("image.pipeline"); PIPELINE.report(lm.WARNING)``."""

    __slots__ = ()
    type = "check"

    def report(self, status: int, **tags: Any) -> None:
        self._emit(status, tags)

    def ok(self, **tags: Any) -> None:
        self._emit(0, tags)

    def warning(self, **tags: Any) -> None:
        self._emit(1, tags)

    def critical(self, **tags: Any) -> None:
        self._emit(2, tags)

    def unknown(self, **tags: Any) -> None:
        self._emit(3, tags)

    def _check(self, value: int | float) -> None:
        if value not in (0, 1, 2, 3):
            raise MetricError("value", value, CHECK_RULE, self.name)


class Timer:
    """Context manager and decorator that observes the elapsed milliseconds."""

    __slots__ = ("_observe", "_start", "_tags")

    def __init__(self, observe: Callable[..., None], tags: dict[str, Any]) -> None:
        self._observe = observe
        self._tags = tags
        self._start = 0.0

    def __enter__(self) -> Timer:
        self._start = perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._observe((perf_counter() - self._start) * 1000.0, **self._tags)

    def __call__(self, fn: F) -> F:
        from functools import wraps

        observe, tags = self._observe, self._tags

        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                observe((perf_counter() - start) * 1000.0, **tags)

        return timed  # type: ignore[return-value]
