"""The values that flow through a sync: what the file wants, what a service has, what to do about it.

Everything here is a frozen dataclass or an enum with no behaviour beyond formatting, so the planner
(:mod:`monitors.sync.plan`) stays a pure function and the JSON output is a plain projection.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Action",
    "Change",
    "Desired",
    "FieldChange",
    "Owner",
    "Remote",
    "Result",
]


class Action(str, enum.Enum):
    """What a plan does with one object."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"  # take over an unowned object with the same name (only with --adopt)
    BLOCKED = "blocked"  # an unowned (or foreign) object holds the name; nothing is done
    NOOP = "no-op"

    @property
    def is_change(self) -> bool:
        return self in (Action.CREATE, Action.UPDATE, Action.DELETE, Action.ADOPT)


class Owner(str, enum.Enum):
    """Who an object in a service belongs to, as far as the sync can tell."""

    OWNED = "owned"  # the marker and this file's service scope
    FOREIGN = "foreign"  # the marker, but another service scope
    UNOWNED = "unowned"  # no marker


@dataclass(frozen=True)
class Desired:
    """One object of the file, as a backend sees it.

    ``ident`` is what the service identifies it by for matching (the key for Datadog, the alarm name
    for CloudWatch); ``fields`` are the normalized managed fields a diff compares.
    """

    key: str
    ident: str
    name: str
    payload: Mapping[str, Any]
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Remote:
    """One object as a service returned it.

    ``verified`` is False when ownership was inferred from a cheap listing only (CloudWatch's
    description marker): such an object is read once more before anything changes it.
    """

    id: str
    ident: str
    name: str
    key: str | None
    owner: Owner
    fields: Mapping[str, Any]
    verified: bool = True
    service: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldChange:
    """One managed field that differs: ``old`` -> ``new`` (``None`` for absent)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    """One line of a plan."""

    kind: str
    action: Action
    key: str
    name: str
    desired: Desired | None = None
    remote: Remote | None = None
    diff: tuple[FieldChange, ...] = ()
    reason: str = ""
    errors: tuple[str, ...] = ()

    @property
    def remote_id(self) -> str | None:
        return self.remote.id if self.remote is not None else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "action": self.action.value,
            "key": self.key,
            "name": self.name,
            "id": self.remote_id,
        }
        if self.diff:
            out["changes"] = {c.field: {"old": c.old, "new": c.new} for c in self.diff}
        if self.reason:
            out["reason"] = self.reason
        if self.errors:
            out["errors"] = list(self.errors)
        return out


@dataclass(frozen=True)
class Result:
    """The outcome of applying one change."""

    change: Change
    ok: bool
    error: str = ""
    attempts: int = 1
    remote_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {**self.change.to_json(), "ok": self.ok, "attempts": self.attempts}
        if self.remote_id is not None:
            out["id"] = self.remote_id
        if self.error:
            out["error"] = self.error
        return out
