"""The planner: a pure function from (what the file wants, what the service has) to a list of changes.

Matching is by identity (``Desired.ident``: the key for Datadog, the alarm name for CloudWatch) among
objects that carry the ownership marker of this service scope; only when nothing owned matches is an
object with the same *name* considered, for adoption. Rules, per object kind:

* owned and identical -> no-op; owned and different -> update (the changed fields, old -> new);
* nothing owned, an unowned object with the same name -> adopt with ``adopt=True``, else blocked
  (nothing is created under that name: that would be a duplicate, or on CloudWatch an overwrite);
* nothing owned, the name held by another service scope -> blocked where names are unique
  (CloudWatch), create where they are not (Datadog);
* nothing at all -> create;
* owned objects of this scope that left the file, and duplicates of one identity -> delete, only with
  ``prune=True`` (otherwise a note says how many are left behind).

Objects without the marker, and other scopes' objects, never get an update or a delete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from monitors.sync._types import Action, Change, Desired, FieldChange, Owner, Remote

__all__ = ["KindPlan", "Plan", "PlanOptions", "plan_kind"]


@dataclass(frozen=True)
class PlanOptions:
    prune: bool = False
    adopt: bool = False


@dataclass(frozen=True)
class KindPlan:
    """The plan for one object kind (one backend)."""

    kind: str
    label: str
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    """The whole plan: one :class:`KindPlan` per backend, in backend order."""

    kinds: tuple[KindPlan, ...]
    skipped: tuple[str, ...] = field(default=())

    @property
    def changes(self) -> list[Change]:
        return [c for k in self.kinds for c in k.changes]

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.action.is_change]

    @property
    def blocked(self) -> list[Change]:
        return [c for c in self.changes if c.action is Action.BLOCKED]

    @property
    def invalid(self) -> list[Change]:
        return [c for c in self.changes if c.errors]

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for change in self.changes:
            out[change.action.value] += 1
        return out


def _by(remotes: Iterable[Remote], attr: str) -> dict[str, list[Remote]]:
    out: dict[str, list[Remote]] = {}
    for remote in remotes:
        out.setdefault(getattr(remote, attr), []).append(remote)
    for group in out.values():
        group.sort(key=lambda r: (len(r.id), r.id))
    return out


def plan_kind(
    kind: str,
    label: str,
    desired: Sequence[Desired],
    remotes: Sequence[Remote],
    diff: Callable[[Desired, Remote], list[FieldChange]],
    *,
    names_unique: bool,
    options: PlanOptions,
) -> KindPlan:
    """Plan one kind; ``remotes`` are the listed objects plus any same-name candidates found."""
    owned = _by((r for r in remotes if r.owner is Owner.OWNED), "ident")
    others = _by((r for r in remotes if r.owner is not Owner.OWNED), "name")
    changes: list[Change] = []
    leftovers: list[tuple[Remote, str]] = []
    wanted = set()
    for d in desired:
        wanted.add(d.ident)
        mine = owned.get(d.ident, [])
        if mine:
            diffs = [(r, diff(d, r)) for r in mine]
            primary, fields = next(((r, f) for r, f in diffs if not f), diffs[0])
            action = Action.UPDATE if fields else Action.NOOP
            changes.append(Change(kind, action, d.key, d.name, d, primary, tuple(fields)))
            leftovers += [(r, f"duplicate of {primary.id}") for r in mine if r is not primary]
            continue
        same_name = others.get(d.name, [])
        unowned = [r for r in same_name if r.owner is Owner.UNOWNED]
        foreign = [r for r in same_name if r.owner is Owner.FOREIGN]
        if names_unique and foreign:
            reason = f"the name is taken by service scope {foreign[0].service!r}; nothing is done"
            changes.append(Change(kind, Action.BLOCKED, d.key, d.name, d, foreign[0], reason=reason))
        elif unowned and options.adopt:
            target = unowned[0]
            changes.append(Change(kind, Action.ADOPT, d.key, d.name, d, target, tuple(diff(d, target))))
        elif unowned:
            reason = f"a {label} with this name exists without the ownership marker; use --adopt to take it over"
            changes.append(Change(kind, Action.BLOCKED, d.key, d.name, d, unowned[0], reason=reason))
        else:
            changes.append(Change(kind, Action.CREATE, d.key, d.name, d))
    leftovers += [(r, "no longer in the file") for ident, rs in owned.items() if ident not in wanted for r in rs]
    notes: list[str] = []
    if options.prune:
        for remote, reason in sorted(leftovers, key=lambda x: (x[0].key or "", x[0].id)):
            key = remote.key or remote.name
            changes.append(Change(kind, Action.DELETE, key, remote.name, None, remote, reason=reason))
    elif leftovers:
        notes.append(
            f"{len(leftovers)} owned {label}(s) of this service are no longer in the file "
            f"(or duplicated); run with --prune to delete them"
        )
    return KindPlan(kind, label, tuple(changes), tuple(notes))
