"""``lambda-monitors``: render and validate monitors-as-code files.

Subcommands live in :data:`COMMANDS` (name -> :class:`Command`), so later modules add ``plan``,
``apply`` or ``metrics`` with :func:`register_command` without touching this file's logic.

Exit codes, for CI: 0 success, 1 the file (or what it renders to) is invalid or unreadable, 2 usage
error. A user mistake never shows a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from monitors.errors import ConfigErrors, MonitorsError

__all__ = ["COMMANDS", "Command", "main", "register_command"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Command:
    """One subcommand: its help line, how it declares arguments, and what it runs."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, TextIO, TextIO], int]


COMMANDS: dict[str, Command] = {}


def register_command(
    name: str,
    help: str,
    add_arguments: Callable[[argparse.ArgumentParser], None],
    run: Callable[[argparse.Namespace, TextIO, TextIO], int],
) -> None:
    """Add a subcommand; ``run(args, stdout, stderr)`` returns the exit code."""
    COMMANDS[name] = Command(help, add_arguments, run)


def _print_config_errors(errors: ConfigErrors, stderr: TextIO) -> None:
    for error in errors.errors:
        print(error, file=stderr)
    count = len(errors.errors)
    print(f"{count} error{'s' if count != 1 else ''} found", file=stderr)


def _file_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the monitors YAML file")


def _add_render(parser: argparse.ArgumentParser) -> None:
    _file_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the payloads as one JSON object")


def _run_render(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from monitors.config import load_config
    from monitors.render import desired_state, format_state

    state = desired_state(load_config(args.file))
    if args.json:
        json.dump(state.to_json_dict(), stdout, indent=2, sort_keys=False)
        stdout.write("\n")
    else:
        stdout.write(format_state(state))
    return EXIT_OK


def _run_validate(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from monitors.config import load_config
    from monitors.dashboards import check_datadog_dashboard_model
    from monitors.render import desired_state
    from monitors.validate import check_cloudwatch_params, check_datadog_model, schema_checks_available, validate_state

    state = desired_state(load_config(args.file))
    problems = validate_state(state)
    available = schema_checks_available()
    if available["datadog_api_client"]:
        for monitor in state.datadog_monitors:
            problems += [f"datadog {monitor.key}: {p}" for p in check_datadog_model(monitor.payload())]
        for dashboard in state.datadog_dashboards:
            problems += [f"datadog {dashboard.key}: {p}" for p in check_datadog_dashboard_model(dashboard.payload())]
    else:
        print("note: datadog-api-client is not installed; Datadog schema checks skipped", file=stderr)
    if available["botocore"]:
        for alarm in state.cloudwatch_alarms:
            problems += [f"cloudwatch {alarm.key}: {p}" for p in check_cloudwatch_params(alarm.payload())]
    else:
        print("note: botocore is not installed; CloudWatch schema checks skipped", file=stderr)
    if problems:
        for problem in problems:
            print(f"{args.file}: {problem}", file=stderr)
        print(f"{len(problems)} error{'s' if len(problems) != 1 else ''} found", file=stderr)
        return EXIT_INVALID
    print(
        f"{args.file}: OK ({len(state.datadog_monitors)} Datadog monitors, "
        f"{len(state.cloudwatch_alarms)} CloudWatch alarms"
        + "".join(
            f", {len(dashboards)} {backend} dashboard{'s' if len(dashboards) != 1 else ''}"
            for backend, dashboards in (
                ("Datadog", state.datadog_dashboards),
                ("CloudWatch", state.cloudwatch_dashboards),
            )
            if dashboards
        )
        + ")",
        file=stdout,
    )
    return EXIT_OK


def _add_metrics(parser: argparse.ArgumentParser) -> None:
    _file_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the metrics as a JSON list")


def _run_metrics(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from monitors.catalog import format_catalog
    from monitors.config import load_config

    config = load_config(args.file)
    if config.metrics is None:
        print(f"{args.file}: no 'catalog:' in this file; nothing to list", file=stderr)
        return EXIT_INVALID
    if args.json:
        json.dump([m.to_dict() for m in config.metrics.metrics], stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write(format_catalog(config.metrics))
    return EXIT_OK


register_command("render", "print the desired Datadog monitors and CloudWatch alarms", _add_render, _run_render)
register_command("validate", "check the file and its payloads offline", _file_argument, _run_validate)
register_command("metrics", "list the metrics declared in the file's catalog", _add_metrics, _run_metrics)

import monitors.cli_sync  # noqa: E402, F401  (registers plan and apply)


class _Parser(argparse.ArgumentParser):
    """Raises instead of exiting, so :func:`main` returns the exit code (and tests can call it)."""

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        if message:
            self._print_message(message, sys.stderr)
        raise _Exit(status)


class _Exit(Exception):
    def __init__(self, status: int):
        self.status = status


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="lambda-monitors", description="Monitors as code for AWS Lambda functions.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help)
        command.add_arguments(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script passes it to ``sys.exit``)."""
    stdout, stderr = sys.stdout, sys.stderr
    parser = _build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except _Exit as exc:
        return EXIT_USAGE if exc.status else EXIT_OK
    if args.command is None:
        parser.print_usage(stderr)
        print("lambda-monitors: error: a command is required", file=stderr)
        return EXIT_USAGE
    try:
        return COMMANDS[args.command].run(args, stdout, stderr)
    except ConfigErrors as errors:
        _print_config_errors(errors, stderr)
        return EXIT_INVALID
    except MonitorsError as error:
        print(f"lambda-monitors: {error}", file=stderr)
        return EXIT_INVALID
    except ModuleNotFoundError as error:
        if error.name not in _EXTRA_MODULES:
            raise
        print(
            f"lambda-monitors: the Python package {_EXTRA_MODULES[error.name]!r} is not installed; "
            "install the CLI's dependencies with: pip install 'lambda-metrics[monitors]'",
            file=stderr,
        )
        return EXIT_INVALID


#: Modules the CLI imports only when needed, and the PyPI package that provides each.
_EXTRA_MODULES = {"yaml": "PyYAML", "boto3": "boto3", "botocore": "botocore", "datadog": "datadog"}
