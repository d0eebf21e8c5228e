"""Datadog's rules for names, tags, values and timestamps, applied once per distinct input.

Names are validated (never rewritten: a typo in a metric name should fail loudly in tests).
Tags are normalized the way Datadog stores them: lowercased, characters outside
``[a-z0-9_\\-:./]`` replaced by ``_``, cut to 200 characters, trailing ``:`` removed. Every
character that could end a field, a tag or a line (``|``, ``,``, ``#``, CR, LF, ``"``) is outside
that set, which is what makes injection through a tag impossible by construction.
"""

from __future__ import annotations

from ._errors import MetricError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    TagsArg = Iterable[str] | Mapping[str, Any] | None

MAX_NAME = 200
MAX_TAG = 200
# A timestamp above this is in milliseconds (epoch seconds reach 1e11 in the year 5138).
_MS_THRESHOLD = 100_000_000_000
#: The largest int a double can hold (Datadog and CloudWatch read values as doubles).
MAX_INT = int(1.7976931348623157e308)
MIN_INT = -MAX_INT  # a constant: ``-MAX_INT`` in a hot path would build a 1024-bit int per call
MAX_PAST_S = 3600
MAX_FUTURE_S = 600

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_NAME_CHARS = frozenset(_LOWER + _LOWER.upper() + "0123456789_.")
_TAG_OK = frozenset(_LOWER + "0123456789_-:./")
_TAG_TABLE = {c: "_" for c in range(128) if chr(c) not in _TAG_OK}

NAME_RULE = (
    "a metric name starts with an ASCII letter, then letters, digits, '_' or '.', "
    f"at most {MAX_NAME} characters"
)

_valid_names: dict[str, bool] = {}
_CACHE_MAX = 4096


def check_name(name: object) -> str:
    """Return ``name`` if it is a valid metric name, else raise :class:`MetricError`."""
    if type(name) is str and name in _valid_names:
        return name
    if (
        not isinstance(name, str)
        or not name
        or len(name) > MAX_NAME
        or not name[0].isascii()
        or not name[0].isalpha()
        or not _NAME_CHARS.issuperset(name)
    ):
        raise MetricError("name", name, NAME_RULE)
    if len(_valid_names) >= _CACHE_MAX:
        _valid_names.clear()
    _valid_names[name] = True
    return name


def normalize_tag(tag: object, metric: str | None = None) -> str:
    """One tag as Datadog stores it; raises :class:`MetricError` if nothing is left of it."""
    if not isinstance(tag, str):
        raise MetricError("tag", tag, "a tag is a string 'key:value' or 'key'", metric)
    out = tag.lower()
    if not out.isascii():
        out = "".join(c if c.isascii() else "_" for c in out)
    out = out.translate(_TAG_TABLE)[:MAX_TAG].rstrip(":")
    if not out or out[0] == ":":
        raise MetricError("tag", tag, "a tag needs a key before any ':' (e.g. 'format:png')", metric)
    return out


def normalize_tags(tags: TagsArg, metric: str | None = None) -> tuple[str, ...]:
    """Normalize a list of ``"k:v"``/``"k"`` strings or a ``{key: value}`` mapping."""
    if tags is None:
        return ()
    if isinstance(tags, str):
        raise MetricError("tags", tags, "tags are a list of 'key:value' strings or a dict, not a string", metric)
    if hasattr(tags, "items"):
        return tuple(
            normalize_tag(k if v is None else f"{k}:{v}", metric)
            for k, v in tags.items()
        )
    try:
        items = tuple(tags)
    except TypeError:
        raise MetricError("tags", tags, "tags are a list of 'key:value' strings or a dict", metric) from None
    return tuple(normalize_tag(t, metric) for t in items)


def check_tag_key(key: object, metric: str | None = None) -> str:
    """A declared tag key: already in normalized form and without ':'."""
    if not isinstance(key, str) or not key or normalize_tag(key, metric) != key or ":" in key:
        raise MetricError(
            "tag key",
            key,
            "a declared tag key is lowercase letters, digits, '_', '-', '.', '/' and has no ':'",
            metric,
        )
    return key


def check_value(value: Any, metric: str | None = None) -> int | float:
    """Return ``value`` as an exact ``int`` or finite ``float``; reject bools, NaN, inf and non-numbers."""
    kind = type(value)
    if kind is bool:
        raise MetricError("value", value, "a metric value is a finite int or float, not a bool", metric)
    if kind is not int and kind is not float:
        if isinstance(value, int) or hasattr(kind, "__index__"):
            try:
                return int(value.__index__())
            except Exception:
                pass
        elif hasattr(kind, "__float__") and not isinstance(value, (str, bytes)):
            try:
                value = float(value)
            except Exception:
                pass
        if type(value) is not float:
            raise MetricError("value", value, "a metric value is a finite int or float", metric)
    if value != value or value in (float("inf"), float("-inf")):
        raise MetricError("value", value, "a metric value must be finite (no NaN or infinity)", metric)
    if type(value) is int and not MIN_INT <= value <= MAX_INT:
        raise MetricError("value", value, "a metric value must fit a double (about 1.8e308)", metric)
    return value  # type: ignore[no-any-return]


def check_timestamp(timestamp: Any, now: float, metric: str | None = None) -> int:
    """Epoch seconds (int or float) or an aware ``datetime`` -> whole epoch seconds."""
    if hasattr(timestamp, "utcoffset") and hasattr(timestamp, "timestamp"):
        if timestamp.utcoffset() is None:
            raise MetricError(
                "timestamp", timestamp, "a datetime timestamp must be timezone-aware (e.g. tzinfo=UTC)", metric
            )
        seconds = float(timestamp.timestamp())
    elif type(timestamp) in (int, float) or (
        isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool)
    ):
        seconds = float(timestamp)
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            raise MetricError("timestamp", timestamp, "a timestamp must be finite epoch seconds", metric)
    else:
        raise MetricError("timestamp", timestamp, "a timestamp is epoch seconds or an aware datetime", metric)
    if seconds >= _MS_THRESHOLD:
        raise MetricError("timestamp", timestamp, "looks like milliseconds: pass epoch seconds", metric)
    if seconds < now - MAX_PAST_S:
        raise MetricError("timestamp", timestamp, "is more than 1 hour in the past", metric)
    if seconds > now + MAX_FUTURE_S:
        raise MetricError("timestamp", timestamp, "is more than 10 minutes in the future", metric)
    return int(seconds)
