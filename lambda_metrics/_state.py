"""The one gate and the one writer.

Every metric passes here: enabled or not, strict or lenient, which formats, buffered or immediate
are decided in this module and nowhere else. The writer owns the stream: each line (or each flushed
batch) is one ``write`` call under one lock, so threads never interleave and a line is never split.
The lock is not optional, even for ``sys.stdout``: concurrent ``write`` calls on a CPython text
file can corrupt its buffer (tests/test_lm_writer.py shows it). The hot paths inline
``acquire(); try: write; finally: release(True)``, a third of the cost of ``with threading.Lock():``.

The hot paths format the timestamp once per second (``_tick``), not once per metric.

Declared metrics keep a pre-encoded tail; every change of configuration bumps ``gen`` and clears
the tail of every live declared metric (they register a weak reference here), so the next call
rebuilds it. The module functions (``count``, ``gauge``...) are closures made by
:func:`make_recorder`, so the common call is one Python frame: validate from caches, format, write.
"""

from __future__ import annotations

import os
import sys
from _queue import SimpleQueue
from _weakref import ref
from time import time as _time

from . import _validate
from ._config import FORMATS, NAMESPACE_RULE, Settings, namespace_problem, parse_formats
from ._encoders import datadog_json, monitoring
from ._errors import MetricError
from ._metric import CHECK_RULE, Metric

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any, Protocol

    from ._validate import TagsArg

    class Stream(Protocol):
        def write(self, s: str, /) -> object: ...

DROPPED_METRIC = "lambda_metrics.dropped"
_MAX_WARNINGS = 50
_BUFFER_LIMIT = 10_000
_CACHE_MAX = 2048
#: The writer's lock: a queue holding one token. ``acquire()`` takes the token, waiting while another
#: thread holds it; ``release(True)`` gives it back. A plain lock's semantics, at two fastcall C
#: methods: about 40 ns less per line than ``Lock.acquire()``/``release()``, because a Lock's acquire
#: parses its arguments as keywords. Module-level so the hot paths reach it as globals.
_TOKEN: SimpleQueue[bool] = SimpleQueue()
_TOKEN.put(True)
acquire = _TOKEN.get
release = _TOKEN.put_nowait


class _Lock:
    """``with LOCK:`` for the paths that are not hot (buffering, flush, reset)."""

    __slots__ = ()

    def __enter__(self) -> None:
        acquire()

    def __exit__(self, *exc: object) -> None:
        release(True)


LOCK = _Lock()


def _after_fork_in_child() -> None:
    """A thread of the parent that held the token does not exist in the child: give it back."""
    if _TOKEN.empty():
        _TOKEN.put(True)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
#: Live declared metrics, invalidated on every change of configuration.
_declared: dict[int, Callable[[], Any]] = {}


#: The current whole second, formatted once per second rather than once per metric (it is a third of
#: the cost of a line): ``_lo <= now < _hi`` exactly when ``int(now)`` is ``_sec``, and ``_pre`` is
#: ``"MONITORING|<_sec>|"``. A range, not "the next boundary", so a clock that goes back (freezegun)
#: is followed. ``_declared`` keeps its own copy, because a hot path reaches only its own globals.
_lo = _hi = 0.0
_sec = _pre = ""


def whole_second(now: float) -> tuple[float, float, str, str]:
    """``now``'s whole second: its bounds, its text and the MONITORING prefix (``int()``, as ever)."""
    sec = int(now)
    return float(sec), float(sec) + 1.0, str(sec), f"MONITORING|{sec}|"


def _tick(now: float) -> None:
    global _lo, _hi, _sec, _pre
    lo, hi, sec, pre = whole_second(now)
    # Four stores and no call in between: under the GIL a reader sees all of them or none.
    _sec = sec
    _pre = pre
    _lo = lo
    _hi = hi


def line_parts(fmt: str, name: str, mtype: str, tags: tuple[str, ...]) -> tuple[str | None, str]:
    """A line of the one line format ``fmt`` around its value and timestamp: ``(head, tail)``.

    MONITORING has no head (``f"MONITORING|{sec}|{value}{tail}"``); the Forwarder's JSON is
    ``f'{head}{value},"e":{sec}{tail}'``.
    """
    if fmt == "monitoring":
        return None, monitoring.suffix(name, mtype, tags)
    return datadog_json.head(name), datadog_json.tail(tags)


def register(metric: Any) -> None:
    """Called by each declared metric: its pre-encoded tail is cleared whenever the configuration changes."""
    key = id(metric)
    _declared[key] = ref(metric, lambda _r, key=key: _declared.pop(key, None))  # type: ignore[misc]


class State:
    """Configuration, caches, buffer and counters of the process. One instance: ``STATE``."""

    def __init__(self) -> None:
        self.gen = 0
        self.cold = True
        self.dropped = 0
        self.unreported = 0
        self.warned: set[tuple[str, str, str | None]] = set()
        # Buffered mode. One line format (MONITORING or Forwarder JSON): ``held_lines`` keeps each line
        # encoded at the call, or for a count the key of its total in ``held_counts`` (per second, head
        # and tail), in the order of the calls. Otherwise (EMF, several formats): Metric objects.
        self.buffer: dict[object, Metric] = {}
        self.held_lines: list[str | tuple[str, str | None, str]] = []
        self.held_counts: dict[tuple[str, str | None, str], int | float] = {}
        self.stream: Stream | None = None
        # Cleared in place on every change, so the recorders can hold its ``get`` for good.
        self.tag_cache: dict[object, tuple[tuple[str, ...], str, str]] = {}
        self.apply(Settings(os.environ), stream=None)

    # -- configuration -------------------------------------------------------------------------

    def apply(self, settings: Settings, stream: Stream | None) -> None:
        """Take settings from the environment (start-up and ``reset()``)."""
        self.strict = settings.strict
        self.buffered = settings.buffered
        self.enabled = settings.enabled
        self.formats = settings.formats
        self.namespace = settings.namespace
        self.stream = stream
        for problem in settings.problems:
            self.warn(("config", problem, None), f"configuration: {problem}")
        self.set_default_tags(settings.default_tags, from_env=True)

    def configure(
        self,
        strict: bool | None = None,
        format: str | Iterable[str] | None = None,
        stream: Stream | None = None,
        default_tags: TagsArg = None,
        buffered: bool | None = None,
        enabled: bool | None = None,
        namespace: str | None = None,
    ) -> None:
        if format is not None:
            problems: list[str] = []
            formats = parse_formats(format if isinstance(format, str) else tuple(format), problems)
            if problems:
                raise MetricError("format", format, f"allowed formats: {', '.join(FORMATS)}")
        if stream is not None and not callable(getattr(stream, "write", None)):
            raise MetricError("stream", stream, "a stream has a write(str) method")
        if namespace is not None and namespace_problem(namespace):
            raise MetricError("namespace", namespace, NAMESPACE_RULE)
        if buffered is not None and not buffered and self.buffered:
            self.flush()
        if strict is not None:
            self.strict = bool(strict)
        if format is not None:
            self.formats = formats
        if stream is not None:
            self.stream = stream
        if buffered is not None:
            self.buffered = bool(buffered)
        if enabled is not None:
            self.enabled = bool(enabled)
        if namespace is not None:
            self.namespace = namespace
        if default_tags is not None:
            self.set_default_tags(default_tags, from_env=False)
        else:
            self.refresh()

    def set_default_tags(self, tags: TagsArg, from_env: bool) -> None:
        """``configure(default_tags=...)`` raises on a bad tag; from the environment, the good ones are
        kept and each bad one is warned about (start-up must not fail on a typo in ``DD_TAGS``)."""
        if not from_env:
            normalized = _validate.normalize_tags(tags)
        else:
            normalized = ()
            for tag in tags or ():
                try:
                    normalized += (_validate.normalize_tag(tag),)
                except MetricError as err:
                    self.warn(("default tag", str(tag), None), f"default tag from the environment ignored: {err}")
        self.default_tags = normalized
        self.refresh()

    def refresh(self) -> None:
        """Recompute what depends on the configuration and invalidate every cache."""
        self.tag_cache.clear()
        single = self.formats[0] if len(self.formats) == 1 else None
        line_format = single if self.enabled and single != "emf" else None
        #: The one line format of the immediate fast paths, or None: they hand over to the full path.
        self.fast = None if self.buffered else line_format
        #: The one line format buffered mode encodes at the call (see ``hold``), or None: Metric objects.
        self.hold_format = line_format if self.buffered else None
        self.default_entry = (
            self.default_tags, ",".join(self.default_tags), ",".join(f'"{t}"' for t in self.default_tags))
        self.gen += 1
        for weak in list(_declared.values()):
            metric = weak()
            if metric is not None:
                metric._invalidate()

    # -- validation ----------------------------------------------------------------------------

    def merge_tags(self, tags: tuple[str, ...]) -> tuple[str, ...]:
        """A metric's tags, then each default tag whose key the metric did not set itself."""
        if not self.default_tags:
            return tags
        own = {t.partition(":")[0] for t in tags}
        return tags + tuple(d for d in self.default_tags if d.partition(":")[0] not in own)

    def tags_for(self, tags: TagsArg, metric: str) -> tuple[tuple[str, ...], str, str]:
        """Normalized tags with the defaults, comma-joined, and as JSON strings; cached per distinct input."""
        if tags is None:
            return self.default_entry
        kind = type(tags)
        try:
            key: object = None
            if kind is list or kind is tuple:
                key = tuple(tags)
            elif isinstance(tags, dict):
                key = tuple(tags.items())
            hit = self.tag_cache.get(key) if key is not None else None
        except TypeError:  # an unhashable tag value
            key = hit = None
        if hit is not None:
            return hit
        merged = self.merge_tags(_validate.normalize_tags(tags, metric))
        entry = (merged, ",".join(merged), ",".join(f'"{t}"' for t in merged))
        # Only string values are cached: 1, 1.0 and True are equal keys but different tags.
        if key is not None and (not isinstance(tags, dict) or all(type(v) is str for v in tags.values())):
            if len(self.tag_cache) >= _CACHE_MAX:
                self.tag_cache.clear()
            self.tag_cache[key] = entry
        return entry

    def validated(
        self, name: str, value: Any, mtype: str, tags: TagsArg
    ) -> tuple[Any, tuple[tuple[str, ...], str, str]]:
        """Validate name, value and tags; the value and the tags entry of :meth:`tags_for`."""
        _validate.check_name(name)
        value = _validate.check_value(value, name)
        if mtype == "check" and value not in (0, 1, 2, 3):
            raise MetricError("value", value, CHECK_RULE, name)
        return value, self.tags_for(tags, name)

    def build(
        self,
        name: str,
        value: Any,
        mtype: str,
        tags: TagsArg,
        timestamp: Any,
        unit: str | None = None,
        dimensions: tuple[str, ...] = (),
    ) -> Metric:
        """Validate and normalize one metric (raises :class:`MetricError`)."""
        value, entry = self.validated(name, value, mtype, tags)
        merged = entry[0]
        ts = int(_time()) if timestamp is None else _validate.check_timestamp(timestamp, _time(), name)
        return Metric(name, value, mtype, merged, ts, unit, dimensions)

    def reject(self, err: MetricError) -> None:
        """Strict: raise. Lenient: drop, count, and warn once per distinct problem."""
        if self.strict:
            raise err
        self.dropped += 1
        self.unreported += 1
        self.warn((err.field, err.rule, err.metric), f"dropped a metric: {err}")

    def warn(self, key: tuple[str, str, str | None], message: str) -> None:
        if key in self.warned or len(self.warned) >= _MAX_WARNINGS:
            return
        self.warned.add(key)
        try:
            sys.stderr.write(
                f"lambda_metrics: {message} (further problems of this kind are counted, not printed; "
                f"metrics dropped so far: {self.dropped})\n"
            )
        except Exception:
            pass

    # -- the path of every metric --------------------------------------------------------------

    def record(
        self,
        name: str,
        value: Any,
        mtype: str,
        tags: TagsArg = None,
        timestamp: Any = None,
        unit: str | None = None,
        dimensions: tuple[str, ...] = (),
    ) -> None:
        """Validate, then encode and write (or buffer) one metric. Never raises when lenient."""
        if not self.enabled:
            return
        fmt = self.hold_format
        if fmt is not None and timestamp is None:
            try:
                value, entry = self.validated(name, value, mtype, tags)
            except MetricError as err:
                self.reject(err)
                return
            self.hold(mtype == "count", value, *line_parts(fmt, name, mtype, entry[0]))
            return
        try:
            metric = self.build(name, value, mtype, tags, timestamp, unit, dimensions)
        except MetricError as err:
            self.reject(err)
            return
        try:
            self.emit(metric)
        except Exception as err:  # a bug of ours (or, when strict, a failed write) must not pass silently
            self.internal_error(err)

    def emit(self, metric: Metric) -> None:
        if self.buffered:
            with LOCK:
                if metric.type == "count":
                    key: object = (metric.name, metric.tags, metric.timestamp)
                    held = self.buffer.get(key)
                    if held is not None:
                        held.value += metric.value
                        return
                else:
                    key = object()
                self.buffer[key] = metric
                full = len(self.buffer) >= _BUFFER_LIMIT
            if full:
                self.flush(flush_stream=False)
            return
        self.write(self.encode([metric]))

    def hold(self, count: bool, value: int | float, head: str | None, tail: str) -> None:
        """Buffered mode, one line format: keep the line (``head`` is None for MONITORING) or, for a
        count, add ``value`` to the count of the same second, name and tags."""
        now = _time()
        if not _lo <= now < _hi:
            _tick(now)
        acquire()
        try:
            if count:
                key = (_sec, head, tail)
                counts = self.held_counts
                total = counts.get(key)
                if total is None:
                    self.held_lines.append(key)
                    counts[key] = value
                else:
                    counts[key] = total + value
            else:
                self.held_lines.append(f"{_pre}{value}{tail}" if head is None else f'{head}{value},"e":{_sec}{tail}')
            full = len(self.held_lines) >= _BUFFER_LIMIT
        finally:
            release(True)
        if full:
            self.flush(flush_stream=False)

    @staticmethod
    def _count_line(key: tuple[str, str | None, str], total: int | float) -> str:
        sec, head, tail = key
        return f"MONITORING|{sec}|{total}{tail}" if head is None else f'{head}{total},"e":{sec}{tail}'

    def encode(self, metrics: list[Metric]) -> str:
        """All metrics in every configured format, as one text of whole lines."""
        parts: list[str] = []
        for fmt in self.formats:
            if fmt == "monitoring":
                parts.extend(monitoring.encode(m) for m in metrics)
            elif fmt == "datadog-json":
                parts.extend(datadog_json.encode(m) for m in metrics)
            else:
                from ._encoders import emf

                parts.extend(emf.encode_batch(metrics, self.namespace))
        return "\n".join(parts) + "\n" if parts else ""

    def write(self, text: str) -> None:
        stream = self.stream
        if stream is None:
            stream = sys.stdout
        try:
            acquire()
            try:
                stream.write(text)
            finally:
                release(True)
        except Exception as err:
            self.write_failed(err, text)

    def write_failed(self, err: Exception, text: str) -> None:
        """A stream that cannot be written to: strict raises, lenient counts the lost lines."""
        if self.strict:
            raise err
        lines = text.count("\n")
        self.dropped += lines
        self.warn(("write", type(err).__name__, None), f"could not write {lines} metric line(s): {err!r}")

    def internal_error(self, err: Exception) -> None:
        if self.strict:
            raise err
        self.dropped += 1
        self.warn(("internal", type(err).__name__, None), f"internal error, metric dropped: {err!r}")

    def flush(self, flush_stream: bool = True) -> None:
        """Write what is buffered (and the count of dropped metrics), then flush the stream."""
        if self.buffer or self.held_lines or self.unreported:  # else nothing to take (the common case)
            with LOCK:
                held = list(self.buffer.values())
                self.buffer.clear()
                lines, self.held_lines = self.held_lines, []
                counts, self.held_counts = self.held_counts, {}
                unreported, self.unreported = self.unreported, 0
            if unreported and self.enabled:
                held.append(Metric(DROPPED_METRIC, unreported, "count", self.default_tags, int(_time())))
            if held or lines:
                self.write("".join(item if isinstance(item, str) else self._count_line(item, counts[item])
                                   for item in lines) + self.encode(held))
        if flush_stream:
            stream = self.stream if self.stream is not None else sys.stdout
            flush: Callable[[], object] | None = getattr(stream, "flush", None)
            if flush is not None:
                try:
                    flush()
                except Exception:
                    pass

    def reset(self, environ: Mapping[str, str] | None = None) -> None:
        """Back to a cold start: configuration from the environment, counters and buffer cleared."""
        with LOCK:
            self.buffer.clear()
            self.held_lines = []
            self.held_counts = {}
        self.cold = True
        self.dropped = 0
        self.unreported = 0
        self.warned = set()
        _validate._valid_names.clear()
        self.apply(Settings(os.environ if environ is None else environ), stream=None)


STATE = State()


def make_recorder(mtype: str, doc: str, default: object = None) -> Callable[..., None]:
    """Build ``count``/``gauge``/``histogram``/``check``: the common call in one frame.

    When the configuration allows it (one format, MONITORING or Forwarder JSON, immediate, enabled),
    a call whose name and tags were seen before and whose value is a finite int or float is
    formatted and written right here; anything else takes :meth:`State.record`, which does the
    same work with every check spelled out.
    """
    state = STATE
    valid_names = _validate._valid_names
    cached_tags = state.tag_cache.get
    max_int = _validate.MAX_INT
    min_int = _validate.MIN_INT
    fast_type = mtype != "check"  # a check's value range is checked on the full path

    def record(name: str, value: Any = default, tags: TagsArg = None, timestamp: Any = None) -> None:
        fast = state.fast
        if fast is not None and fast_type and timestamp is None and name in valid_names:
            kind = type(value)
            if (kind is int and min_int <= value <= max_int) or (kind is float and value - value == 0.0):
                if tags is None:
                    hit: Any = state.default_entry
                else:
                    kind = type(tags)
                    try:
                        hit = cached_tags(
                            tuple(tags) if kind is list or kind is tuple
                            else tuple(tags.items()) if kind is dict else None  # type: ignore[attr-defined]
                        )
                    except TypeError:
                        hit = None
                if hit is not None:
                    now = _time()  # a global, not a closure cell: freezegun replaces it
                    if not _lo <= now < _hi:
                        _tick(now)
                    if fast == "monitoring":
                        line = f"{_pre}{value}|{mtype}|{name}|#{hit[1]}\n"
                    else:
                        line = f'{{"m":"{name}","v":{value},"e":{_sec},"t":[{hit[2]}]}}\n'
                    out = state.stream
                    if out is None:
                        out = sys.stdout
                    try:
                        acquire()
                        try:
                            out.write(line)
                        finally:
                            release(True)
                    except Exception as err:
                        state.write_failed(err, line)
                    return
        state.record(name, value, mtype, tags, timestamp)

    record.__name__ = record.__qualname__ = mtype
    record.__doc__ = doc
    return record


class _Missing:
    def __repr__(self) -> str:
        return "<missing value>"


MISSING = _Missing()
count = make_recorder(
    "count", 'Add ``value`` to the count ``name``: ``count("image.processed", 1, tags=["format:png"])``.', 1)
gauge = make_recorder(
    "gauge", 'Report the current value of ``name``: ``gauge("queue.depth", 12.5, tags={"queue": "resize"})``.',
    MISSING)
histogram = make_recorder(
    "histogram", 'Add one sample to the distribution ``name``: ``histogram("image.resize_ms", 41.7)``.', MISSING)
check = make_recorder(
    "check", 'Report a service check: ``check("image.pipeline", lm.WARNING)`` (OK=0 ... UNKNOWN=3).', MISSING)
