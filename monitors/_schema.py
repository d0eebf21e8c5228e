"""A small typed "field spec" machinery for validating config data.

Why not a third-party schema library: the runtime must stay light, and every error has to name the
file, the line and the key path in the user's words (``functions[0].duration.p99_ms``), and *all*
errors of a file must be reported at once. Each :class:`Spec` turns raw data (what ``yaml`` or a
Python caller produced) into a typed value, or reports problems to a :class:`Context` and returns
:data:`INVALID`; a parent keeps going after a child fails, so one run finds every mistake.

New config sections (custom monitors, dashboards) are declared by composing the same specs::

    threshold = Number(minimum=0, exclusive_minimum=True, what="a positive number")
    section = Record({"p99_ms": OrFalse(threshold)}, build=lambda values: values)
"""

from __future__ import annotations

import difflib
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar, final

from monitors.errors import ConfigError

__all__ = [
    "INVALID",
    "Boolean",
    "Choice",
    "Context",
    "Invalid",
    "ListOf",
    "Number",
    "OrFalse",
    "Path",
    "Record",
    "SourceMap",
    "Spec",
    "String",
    "describe",
    "format_path",
]

T = TypeVar("T")
U = TypeVar("U")
Path = tuple[str | int, ...]


@final
class Invalid:
    """Marker returned by a spec whose value had errors (already reported to the context)."""

    _instance: Invalid | None = None

    def __new__(cls) -> Invalid:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "INVALID"

    def __bool__(self) -> bool:
        return False


INVALID: Final = Invalid()


def format_path(path: Path) -> str:
    """``("functions", 0, "duration", "p99_ms")`` -> ``functions[0].duration.p99_ms``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def describe(value: object) -> str:
    """Show a user's value the way they wrote it (YAML spelling for booleans and null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


@dataclass
class SourceMap:
    """Line numbers (1-based) of values and of mapping keys, by key path."""

    values: dict[Path, int] = field(default_factory=dict)
    keys: dict[Path, int] = field(default_factory=dict)


class Context:
    """Collects errors for one file and knows where each path came from."""

    def __init__(self, file: str = "<python>", source: SourceMap | None = None):
        self.file = file
        self.source = source or SourceMap()
        self.errors: list[ConfigError] = []

    def line_of(self, path: Path, *, key: bool = False) -> int | None:
        """Line of the value at ``path`` (or of its key); falls back to the closest ancestor."""
        if key and path in self.source.keys:
            return self.source.keys[path]
        probe = path
        while True:
            if probe in self.source.values:
                return self.source.values[probe]
            if not probe:
                return None
            probe = probe[:-1]

    def error(self, path: Path, message: str, *, at_key: bool = False, line: int | None = None) -> Invalid:
        """Record one error; returns :data:`INVALID` so specs can ``return ctx.error(...)``."""
        if line is None:
            line = self.line_of(path, key=at_key)
        self.errors.append(ConfigError(message, file=self.file, line=line, path=format_path(path)))
        return INVALID

    def sorted_errors(self) -> list[ConfigError]:
        """Errors in file order (unknown lines last), keeping discovery order for ties."""
        return sorted(self.errors, key=lambda e: math.inf if e.line is None else e.line)


class Spec(ABC, Generic[T]):
    """Turns one raw value into a typed one, or reports why it cannot."""

    description: str = "a value"

    @abstractmethod
    def parse(self, value: object, path: Path, ctx: Context) -> T | Invalid:
        """Return the typed value, or report errors to ``ctx`` and return :data:`INVALID`."""

    def expected(self, value: object, path: Path, ctx: Context) -> Invalid:
        return ctx.error(path, f"expected {self.description}, got {describe(value)}")


class Boolean(Spec[bool]):
    description = "true or false"

    def parse(self, value: object, path: Path, ctx: Context) -> bool | Invalid:
        if isinstance(value, bool):
            return value
        return self.expected(value, path, ctx)


class Number(Spec[float]):
    """A finite int or float (never a bool) within optional bounds.

    Integral values come back as ``int`` so rendered payloads print ``5`` and not ``5.0``.
    """

    def __init__(
        self,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        exclusive_minimum: bool = False,
        integer: bool = False,
        what: str | None = None,
    ):
        self.minimum = minimum
        self.maximum = maximum
        self.exclusive_minimum = exclusive_minimum
        self.integer = integer
        self.description = what or self._default_description()

    def _default_description(self) -> str:
        noun = "an integer" if self.integer else "a number"
        if self.minimum == 0 and self.exclusive_minimum and self.maximum is None:
            return "a positive integer" if self.integer else "a positive number"
        parts = []
        if self.minimum is not None:
            parts.append(f"{'above' if self.exclusive_minimum else 'at least'} {self.minimum:g}")
        if self.maximum is not None:
            parts.append(f"at most {self.maximum:g}")
        return f"{noun} {' and '.join(parts)}" if parts else noun

    def parse(self, value: object, path: Path, ctx: Context) -> float | Invalid:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return self.expected(value, path, ctx)
        if self.integer and not float(value).is_integer():
            return self.expected(value, path, ctx)
        if self.minimum is not None and (value < self.minimum or (self.exclusive_minimum and value == self.minimum)):
            return self.expected(value, path, ctx)
        if self.maximum is not None and value > self.maximum:
            return self.expected(value, path, ctx)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class String(Spec[str]):
    """A string matching ``pattern`` (full match) and at most ``max_length`` characters."""

    def __init__(self, *, pattern: str | None = None, max_length: int | None = None, what: str = "a string"):
        self.pattern = re.compile(pattern) if pattern else None
        self.max_length = max_length
        self.description = what

    def parse(self, value: object, path: Path, ctx: Context) -> str | Invalid:
        if not isinstance(value, str) or not value:
            return self.expected(value, path, ctx)
        if self.max_length is not None and len(value) > self.max_length:
            return ctx.error(
                path, f"expected {self.description}, got {len(value)} characters (at most {self.max_length})"
            )
        if self.pattern is not None and not self.pattern.fullmatch(value):
            return self.expected(value, path, ctx)
        return value


class Choice(Spec[str]):
    """One of a fixed set of strings."""

    def __init__(self, values: Iterable[str]):
        self.values = tuple(values)
        self.description = "one of " + ", ".join(repr(v) for v in self.values)

    def parse(self, value: object, path: Path, ctx: Context) -> str | Invalid:
        if isinstance(value, str) and value in self.values:
            return value
        return self.expected(value, path, ctx)


class OrFalse(Spec[U | bool], Generic[U]):
    """``false`` switches the item off; anything else goes to the wrapped spec.

    ``true`` means "on, with the inherited settings" when ``allow_true`` is set (useful for the
    ``datadog: true`` / ``cloudwatch: true`` switches); otherwise it is an error.
    """

    def __init__(self, inner: Spec[U], *, allow_true: bool = False):
        self.inner = inner
        self.allow_true = allow_true
        self.description = f"{inner.description} or false"

    def parse(self, value: object, path: Path, ctx: Context) -> U | bool | Invalid:
        if value is False:
            return False
        if value is True:
            return True if self.allow_true else self.expected(value, path, ctx)
        return self.inner.parse(value, path, ctx)


class ListOf(Spec[tuple[U, ...]], Generic[U]):
    """A list of items, each checked by ``item``; optionally without duplicates."""

    def __init__(self, item: Spec[U], *, unique: bool = False, max_items: int | None = None):
        self.item = item
        self.unique = unique
        self.max_items = max_items
        self.description = f"a list of {item.description}"

    def parse(self, value: object, path: Path, ctx: Context) -> tuple[U, ...] | Invalid:
        if not isinstance(value, (list, tuple)):
            return self.expected(value, path, ctx)
        ok = True
        items: list[U] = []
        for index, raw in enumerate(value):
            parsed = INVALID if isinstance(raw, Invalid) else self.item.parse(raw, (*path, index), ctx)
            if isinstance(parsed, Invalid):
                ok = False
                continue
            if self.unique and parsed in items:
                ctx.error((*path, index), f"duplicate entry {describe(raw)}")
                ok = False
                continue
            items.append(parsed)
        if self.max_items is not None and len(value) > self.max_items:
            return ctx.error(path, f"expected at most {self.max_items} entries, got {len(value)}")
        return tuple(items) if ok else INVALID


class Record(Spec[T]):
    """A mapping with known keys; unknown keys are errors (with a "did you mean").

    ``build`` receives the parsed values of the keys that were present (absent optional keys are
    left out so the caller can tell "not set" from "set"), and ``check`` may add cross-field errors.
    """

    def __init__(
        self,
        fields: Mapping[str, Spec[Any]],
        *,
        build: Callable[[dict[str, Any]], T],
        required: Iterable[str] = (),
        check: Callable[[dict[str, Any], Path, Context], None] | None = None,
        what: str = "a mapping",
    ):
        self.fields = dict(fields)
        self.required = tuple(required)
        self.build = build
        self.check = check
        self.description = what

    def parse(self, value: object, path: Path, ctx: Context) -> T | Invalid:
        if not isinstance(value, Mapping):
            return self.expected(value, path, ctx)
        ok = True
        values: dict[str, Any] = {}
        for key, raw in value.items():
            if not isinstance(key, str) or key not in self.fields:
                ctx.error((*path, str(key)), self._unknown_key_message(key), at_key=True)
                ok = False
                continue
            # INVALID raw data was already reported while reading the file.
            parsed = INVALID if isinstance(raw, Invalid) else self.fields[key].parse(raw, (*path, key), ctx)
            if isinstance(parsed, Invalid):
                ok = False
            else:
                values[key] = parsed
        for key in self.required:
            if key not in value:
                ctx.error(path, f"missing required key '{key}'")
                ok = False
        if not ok:
            return INVALID
        if self.check is not None:
            before = len(ctx.errors)
            self.check(values, path, ctx)
            if len(ctx.errors) > before:
                return INVALID
        return self.build(values)

    def _unknown_key_message(self, key: object) -> str:
        allowed = ", ".join(self.fields)
        message = f"unknown key {describe(key)}; allowed keys: {allowed}"
        close = difflib.get_close_matches(str(key), self.fields, n=1)
        if close:
            message += f" (did you mean '{close[0]}'?)"
        return message
