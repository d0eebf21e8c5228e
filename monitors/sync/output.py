"""What people and machines see: the human plan (``+``, ``~``, ``-``), JSON, a progress bar, a summary.

Pure formatting: every function returns a string (or writes whole lines), so tests compare text and
the CLI decides where it goes. Colour only when asked (the CLI asks on a TTY without ``NO_COLOR``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from monitors.sync._types import Action, Change, Result
from monitors.sync.plan import Plan

__all__ = ["ProgressBar", "format_plan", "format_results", "plan_json", "results_json"]

_SYMBOL = {
    Action.CREATE: ("+", "32"),
    Action.UPDATE: ("~", "33"),
    Action.ADOPT: ("~", "36"),
    Action.DELETE: ("-", "31"),
    Action.BLOCKED: ("!", "35"),
    Action.NOOP: (" ", "0"),
}
_VALUE_MAX = 240


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color and code != "0" else text


def _value(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = json.dumps(_tidy(value), sort_keys=True, ensure_ascii=False)
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 3] + "..."


_LEAVES_MAX = 12
_WINDOW = 90
_ABSENT: Any = None


def _tidy(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, dict):
        return {k: _tidy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_tidy(x) for x in v]
    return v


def _structured(value: Any) -> Any:
    """A JSON document held in a string (a CloudWatch ``DashboardBody``) is compared as a document."""
    if isinstance(value, str) and value[:1] in "{[" and len(value) > _VALUE_MAX:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _leaves(old: Any, new: Any, path: str) -> list[tuple[str, Any, Any]]:
    """The innermost differing values, each with its path (``widgets[2].definition.title``)."""
    old, new = _structured(old), _structured(new)
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(old) | set(new), key=str):
            out += _leaves(old.get(key, _ABSENT), new.get(key, _ABSENT), f"{path}.{key}")
        return out
    if isinstance(old, list) and isinstance(new, list) and old and new:
        out = []
        for i in range(max(len(old), len(new))):
            out += _leaves(old[i] if i < len(old) else _ABSENT, new[i] if i < len(new) else _ABSENT, f"{path}[{i}]")
        return out
    return [] if _tidy(old) == _tidy(new) else [(path, old, new)]


def _text_pair(old: Any, new: Any) -> tuple[str, str]:
    """Both values as text; two long strings are cut to a window around their first difference."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > _VALUE_MAX:
        start = 0
        while start < min(len(old), len(new)) and old[start] == new[start]:
            start += 1
        start = max(0, start - 30)
        cut = [("..." if start else "") + s[start : start + _WINDOW] + ("..." if len(s) > start + _WINDOW else "")
               for s in (old, new)]
        return json.dumps(cut[0], ensure_ascii=False), json.dumps(cut[1], ensure_ascii=False)
    return _value(old), _value(new)


def _field_lines(name: str, old: Any, new: Any) -> list[str]:
    leaves = _leaves(old, new, name)
    if not leaves:
        leaves = [(name, old, new)]
    lines = []
    for path, before, after in leaves[:_LEAVES_MAX]:
        shown_old, shown_new = _text_pair(before, after)
        lines.append(f"        {path}: {shown_old} -> {shown_new}")
    if len(leaves) > _LEAVES_MAX:
        lines.append(f"        ... and {len(leaves) - _LEAVES_MAX} more change(s) in {name}")
    return lines


def _change_lines(change: Change, color: bool) -> list[str]:
    symbol, code = _SYMBOL[change.action]
    where = f" (id {change.remote_id})" if change.remote_id and change.remote_id != change.name else ""
    head = f"  {symbol} {change.action.value:<7} {change.key}  {change.name!r}{where}"
    lines = [_paint(head, code, color)]
    if change.reason:
        lines.append(f"        {change.reason}")
    for field in change.diff:
        lines += _field_lines(field.field, field.old, field.new)
    for error in change.errors:
        lines.append(_paint(f"        error: {error}", "31", color))
    return lines


def format_plan(plan: Plan, *, color: bool = False, show_noop: bool = False) -> str:
    """The human plan: one block per object kind, then one summary line."""
    lines: list[str] = []
    for note in plan.skipped:
        lines.append(f"note: {note}")
    for kind in plan.kinds:
        shown = [c for c in kind.changes if show_noop or c.action is not Action.NOOP]
        unchanged = sum(1 for c in kind.changes if c.action is Action.NOOP)
        lines.append(f"{kind.label}s: {len(kind.changes) - unchanged} to change, {unchanged} unchanged")
        for change in shown:
            lines += _change_lines(change, color)
        for note in kind.notes:
            lines.append(f"  note: {note}")
    counts = plan.counts()
    summary = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['adopt']} to adopt, "
        f"{counts['delete']} to delete, {counts['blocked']} blocked, {counts['no-op']} unchanged."
    )
    if not plan.pending and not plan.blocked:
        summary = f"No changes. {counts['no-op']} objects are up to date."
    lines.append(summary)
    invalid = plan.invalid
    if invalid:
        lines.append(_paint(f"{len(invalid)} object(s) failed validation; nothing will be applied.", "31", color))
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "changes": [c.to_json() for c in plan.changes if c.action is not Action.NOOP],
        "summary": plan.counts(),
        "notes": [*plan.skipped, *(n for k in plan.kinds for n in k.notes)],
        "errors": sum(len(c.errors) for c in plan.changes),
    }


def format_results(results: Sequence[Result], *, color: bool = False) -> str:
    lines = []
    failed = [r for r in results if not r.ok]
    done: dict[str, int] = {}
    for result in results:
        if result.ok:
            done[result.change.action.value] = done.get(result.change.action.value, 0) + 1
    parts = ", ".join(f"{n} {'adopted' if a == 'adopt' else a + 'd'}" for a, n in sorted(done.items())) or "nothing"
    if failed:
        lines.append(_paint(f"{len(failed)} change(s) failed:", "31", color))
        for result in failed:
            change = result.change
            lines.append(f"  {change.action.value} {change.kind} {change.key}: {result.error}")
    lines.append(f"Applied: {parts}; {len(failed)} failed.")
    return "\n".join(lines) + "\n"


def results_json(results: Sequence[Result]) -> dict[str, Any]:
    return {
        "results": [r.to_json() for r in results],
        "applied": sum(1 for r in results if r.ok),
        "failed": sum(1 for r in results if not r.ok),
    }


class _Stream(Protocol):
    def write(self, text: str, /) -> int: ...
    def flush(self) -> None: ...


class ProgressBar:
    """``[#####-----] 12/50`` redrawn on one line of a terminal; a no-op unless ``enabled``."""

    def __init__(self, total: int, stream: _Stream, *, enabled: bool, width: int = 30) -> None:
        self.total = max(1, total)
        self.stream = stream
        self.enabled = enabled
        self.width = width
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()

    def __call__(self, result: Result) -> None:
        with self._lock:
            self.done += 1
            self.failed += 0 if result.ok else 1
            if not self.enabled:
                return
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            failed = f", {self.failed} failed" if self.failed else ""
            self.stream.write(f"\r[{bar}] {self.done}/{self.total}{failed}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            self.stream.write("\n")
            self.stream.flush()
