"""``lambda-monitors plan`` and ``lambda-monitors apply``: the sync commands.

Registered in :mod:`monitors.cli` through :func:`monitors.cli.register_command`. Exit codes:

* ``plan``: 0 done (no changes, or changes without ``--detailed-exitcode``), 2 changes pending with
  ``--detailed-exitcode``, 1 errors (validation, unreachable service, missing keys).
* ``apply``: 0 nothing to do or everything applied, 1 errors (a change failed, validation failed, a
  name is blocked, or confirmation was refused / impossible).

Output goes through a secret-redacting writer; ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from monitors.cli import register_command

__all__: list[str] = []

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 2
EXIT_INTERRUPTED = 130  # the shell's code for Ctrl-C


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the monitors YAML file")
    parser.add_argument("--json", action="store_true", help="print one JSON object for machines")
    parser.add_argument("--prune", action="store_true", help="delete owned objects of this service that left the file")
    parser.add_argument(
        "--adopt", action="store_true", help="take over same-name objects without the marker instead of skipping them"
    )
    parser.add_argument("--no-validate", action="store_true", help="skip the service-side validation of changes")
    parser.add_argument(
        "--target",
        action="append",
        choices=("datadog", "cloudwatch"),
        help="sync only this backend (repeatable; default: both)",
    )
    parser.add_argument("--workers", type=int, default=None, help="concurrent requests (default 16; 1 = sequential)")
    parser.add_argument("--no-color", action="store_true", help="never colour the output")


def _add_plan(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument(
        "--detailed-exitcode", action="store_true", help="exit 2 when changes are pending (0 none, 1 errors)"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="ask no service: show every object of the file as a create (no credentials needed)",
    )


def _add_apply(parser: argparse.ArgumentParser) -> None:
    _common(parser)
    parser.add_argument("--yes", "-y", action="store_true", help="apply without asking for confirmation")


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:
        return False


def _engine(args: argparse.Namespace) -> Any:
    from monitors.config import load_config
    from monitors.render import desired_state
    from monitors.sync.engine import DEFAULT_WORKERS, Engine, SyncError, SyncOptions, backends_from_env

    workers = args.workers if args.workers is not None else DEFAULT_WORKERS
    if workers < 1:
        raise SyncError("--workers must be at least 1")
    state = desired_state(load_config(args.file))
    targets = tuple(args.target or ("datadog", "cloudwatch"))
    backends, notes = backends_from_env(state, targets=targets, workers=workers, prune=args.prune)
    options = SyncOptions(prune=args.prune, adopt=args.adopt, validate=not args.no_validate, workers=workers)
    return Engine(state, backends, options), tuple(notes)


#: What a person calls each kind of object, by DesiredState section.
_LABELS = {
    "datadog_monitors": "Datadog monitor",
    "cloudwatch_alarms": "CloudWatch alarm",
    "datadog_dashboards": "Datadog dashboard",
    "cloudwatch_dashboards": "CloudWatch dashboard",
}
_TARGET_OF = {"datadog_monitors": "datadog", "datadog_dashboards": "datadog"}


def _offline_plan(args: argparse.Namespace) -> Any:
    """The plan against empty services: what a first apply would create. No network, no credentials."""
    from monitors.config import load_config
    from monitors.render import desired_state
    from monitors.sync._types import Action, Change, Desired
    from monitors.sync.plan import KindPlan, Plan

    state = desired_state(load_config(args.file))
    targets = set(args.target or ("datadog", "cloudwatch"))
    kinds = []
    for section in state.SECTIONS:
        if _TARGET_OF.get(section, "cloudwatch") not in targets:
            continue
        changes = []
        for obj in getattr(state, section, ()):
            payload = obj.payload()
            name = str(
                payload.get("name") or payload.get("AlarmName") or payload.get("title")
                or payload.get("DashboardName") or obj.key
            )
            desired = Desired(key=obj.key, ident=obj.key, name=name, payload=payload, fields={})
            changes.append(Change(section, Action.CREATE, obj.key, name, desired))
        if changes:
            kinds.append(KindPlan(section, _LABELS.get(section, section), tuple(changes)))
    note = (
        "OFFLINE: no service was asked, so every object of the file is shown as a create "
        "(what a first apply would do). Run without --offline to compare with Datadog and CloudWatch."
    )
    return Plan(tuple(kinds), skipped=(note,))


def _plan(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    if getattr(args, "offline", False):
        return _offline_plan(args), None
    engine, notes = _engine(args)
    return replace(engine.plan(), skipped=notes), engine


def _run_plan(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from monitors.sync._secrets import RedactingWriter
    from monitors.sync.output import format_plan, plan_json

    out = RedactingWriter(stdout)
    plan, _ = _plan(args)
    color = _isatty(stdout) and not args.no_color and "NO_COLOR" not in os.environ
    if args.json:
        out.write(json.dumps(plan_json(plan), indent=2, default=str) + "\n")
    else:
        out.write(format_plan(plan, color=color))
    if plan.invalid:
        return EXIT_ERROR
    if args.detailed_exitcode and (plan.pending or plan.blocked):
        return EXIT_PENDING
    return EXIT_OK


def _confirm(count: int, stderr: Any) -> bool:
    stderr.write(f"Apply {count} change(s)? Only 'yes' is accepted: ")
    stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer == "yes"


def _run_apply(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from monitors.sync._secrets import RedactingWriter
    from monitors.sync.output import ProgressBar, format_plan, format_results, plan_json, results_json

    out, err = RedactingWriter(stdout), RedactingWriter(stderr)
    plan, engine = _plan(args)
    color = _isatty(stdout) and not args.no_color and "NO_COLOR" not in os.environ
    document: dict[str, Any] = {"plan": plan_json(plan)}
    if not args.json:
        out.write(format_plan(plan, color=color))

    def finish(code: int, message: str | None = None) -> int:
        if message:
            err.write(f"lambda-monitors: {message}\n")
        if args.json:
            out.write(json.dumps(document, indent=2, default=str) + "\n")
        return code

    if plan.invalid:
        return finish(EXIT_ERROR, "validation failed; nothing was applied")
    pending = plan.pending
    if not pending:
        blocked = len(plan.blocked)
        if blocked:
            return finish(EXIT_ERROR, f"{blocked} object(s) blocked by an existing same-name object (see --adopt)")
        return finish(EXIT_OK)
    if not args.yes:
        if not _isatty(sys.stdin):
            return finish(EXIT_ERROR, "refusing to apply without --yes: stdin is not a terminal")
        if not _confirm(len(pending), err):
            return finish(EXIT_ERROR, "apply cancelled; nothing was changed")
    from monitors.sync.engine import ApplyInterrupted

    progress = ProgressBar(len(pending), err, enabled=_isatty(stderr) and not args.json)
    interrupted: ApplyInterrupted | None = None
    try:
        results = engine.apply(plan, progress)
    except ApplyInterrupted as exc:
        interrupted, results = exc, exc.results
    finally:
        progress.close()
    document.update(results_json(results))
    if not args.json:
        out.write(format_results(results, color=color))
    if interrupted is not None:
        return finish(EXIT_INTERRUPTED, str(interrupted))
    failed = any(not r.ok for r in results)
    if failed or plan.blocked:
        return finish(EXIT_ERROR)
    return finish(EXIT_OK)


register_command("plan", "show what apply would change in Datadog and CloudWatch", _add_plan, _run_plan)
register_command(
    "apply", "make Datadog and CloudWatch match the file (asks first unless --yes)", _add_apply, _run_apply
)
