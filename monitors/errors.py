"""Errors raised by ``monitors``.

One base class (:class:`MonitorsError`) so a caller can catch everything this package raises, and
:class:`ConfigError`, a :class:`ValueError` that carries where the problem is (file, line, key path) as
data, so the CLI, an editor integration or a test can use the parts without parsing the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

__all__ = ["ConfigError", "ConfigErrors", "MonitorsError"]


class MonitorsError(Exception):
    """Base class of every error raised by the ``monitors`` package."""


class ConfigError(MonitorsError, ValueError):
    """One problem in a monitors config, located by file, line and key path.

    ``str()`` gives the form editors and CI logs understand::

        monitors.yaml:14: functions[0].duration.p99_ms: expected a positive number, got 'fast'

    ``line`` is ``None`` for configs built in Python (there is no line to point at) and ``path`` is
    empty for problems with the file as a whole (for example a YAML syntax error).
    """

    def __init__(self, message: str, *, file: str = "<python>", line: int | None = None, path: str = ""):
        self.message = message
        self.file = file
        self.line = line
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"ConfigError({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigError):
            return NotImplemented
        return (self.file, self.line, self.path, self.message) == (
            other.file,
            other.line,
            other.path,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.path, self.message))


class ConfigErrors(MonitorsError):
    """Every problem found in one config, in file order.

    Validation never stops at the first problem: fixing a file one error per run is slow, so all
    errors are collected and raised together.
    """

    def __init__(self, errors: Iterable[ConfigError]):
        self.errors: tuple[ConfigError, ...] = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)

    def __iter__(self) -> Iterator[ConfigError]:
        return iter(self.errors)

    def __len__(self) -> int:
        return len(self.errors)
