"""Keep API keys and AWS secrets out of every message the sync produces.

Error texts come from third-party exceptions (``requests``, ``botocore``) that could, in some future
version or some proxy setup, quote a header or a URL. Every message the engine keeps is passed through
:func:`redact`, and the CLI writes through :class:`RedactingWriter` as a last line of defence.
"""

from __future__ import annotations

import os
import threading
from typing import Final, TextIO

__all__ = ["SECRET_ENV_VARS", "RedactingWriter", "add_secret", "redact"]

SECRET_ENV_VARS: Final = (
    "DD_API_KEY",
    "DD_APP_KEY",
    "DATADOG_API_KEY",
    "DATADOG_APP_KEY",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
)
_MIN_LENGTH = 4  # shorter values would redact ordinary words
_lock = threading.Lock()
_extra: set[str] = set()


def add_secret(value: str | None) -> None:
    """Also redact ``value`` (for example a secret key read from ``~/.aws/credentials``)."""
    if value and len(value) >= _MIN_LENGTH:
        with _lock:
            _extra.add(value)


def _secrets() -> list[str]:
    with _lock:
        found = set(_extra)
    for name in SECRET_ENV_VARS:
        value = os.environ.get(name)
        if value and len(value) >= _MIN_LENGTH:
            found.add(value)
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every known secret replaced by ``***``."""
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingWriter:
    """A minimal text stream wrapper that redacts secrets from everything written through it."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(redact(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty()) if callable(isatty) else False
