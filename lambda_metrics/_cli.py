"""``lambda-metrics``: run a handler locally as Lambda would, and read metric lines back.

    lambda-metrics invoke examples.screen_resize.handler:handler --event events/s3_put.json [--emulate-aws]
    lambda-metrics parse exported.log        # or - for stdin

``invoke`` runs the handler in this process with a :class:`~lambda_metrics.testing.FakeLambdaContext`
and the environment a Lambda would have, captures its stdout, and prints its logs, its result (JSON)
and a table of the metrics it wrote. ``--emulate-aws`` starts moto's server on 127.0.0.1 first, points
``AWS_ENDPOINT_URL`` at it with dummy credentials, and calls the seed hook (``--seed``, by default
``<handler package>.emulate:seed`` when it exists), which creates the resources and returns the
function's environment variables.

``parse`` reads saved output (raw stdout, CloudWatch exports with a timestamp/request-id prefix,
Forwarder JSON, EMF) and prints the same table; metric lines that do not parse are listed on stderr.

Exit codes: 0 success; 1 the handler failed or timed out, or a metric line did not parse; 2 usage error.
This module is imported only by the CLI, never by ``import lambda_metrics``.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import StringIO
from typing import Any, NoReturn, TextIO

from ._errors import MetricError
from ._metric import Metric
from ._parse import parse_emf, parse_json, parse_monitoring

__all__ = ["main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EMULATED_REGION = "us-east-1"


class UsageError(Exception):
    """A mistake on the command line: one line on stderr, exit 2, no traceback."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


# -- reading metric lines --------------------------------------------------------------------------


@dataclass
class Reading:
    """What a text held: the metrics, the other lines (logs), and the metric lines that did not parse."""

    metrics: list[Metric] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def _metric_part(line: str) -> tuple[str, str] | None:
    """The metric in a line, after any prefix (timestamp, request id, CSV quote); ``None`` for a log line."""
    at = line.find("MONITORING|")
    # A prefix is what CloudWatch exports put first: a timestamp (and a request id), tab-separated or not.
    if at == 0 or (at > 0 and line[at - 1] in " \t\"'" and (line[0].isdigit() or "\t" in line[:at])):
        text = line[at:].rstrip()
        if at > 0 and line[at - 1] in "\"'" and text.endswith(line[at - 1]):
            text = text[:-1]
        return "monitoring", text
    start, end = line.find("{"), line.rfind("}")
    if start < 0 or end < start:
        return None
    text = line[start : end + 1]
    if '""' in text and start > 0 and line[start - 1] == '"':
        text = text.replace('""', '"')  # a CSV export doubles the quotes of a quoted field
    if '"_aws"' in text:
        return "emf", text
    if '"m"' in text:
        return "json", text
    return None


def read_metrics(lines: Iterable[str]) -> Reading:
    reading = Reading()
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        found = _metric_part(line)
        try:
            if found is None:
                reading.logs.append(line)
            elif found[0] == "monitoring":
                reading.metrics.append(parse_monitoring(found[1]))
            elif found[0] == "emf":
                metrics = parse_emf(found[1])
                if not metrics:
                    raise MetricError("line", found[1][:80], "an EMF object with at least one metric")
                reading.metrics.extend(metrics)
            else:
                metric = parse_json(found[1])
                if metric is None:
                    reading.logs.append(line)
                else:
                    reading.metrics.append(metric)
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            reason = str(err) if isinstance(err, MetricError) else f"{type(err).__name__}: {err}"
            reading.problems.append((number, f"{found[0] if found else 'metric'} line does not parse: {reason}"))
    return reading


def _value(value: int | float) -> str:
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") or "0"
    return str(value)


def metrics_table(metrics: Sequence[Metric]) -> str:
    """One row per metric point: time (UTC), name, type, value, tags."""
    rows = [("TIME (UTC)", "NAME", "TYPE", "VALUE", "TAGS")]
    for m in metrics:
        when = datetime.fromtimestamp(m.timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        mtype = f"emf/{m.unit}" if m.type == "emf" and m.unit else m.type
        rows.append((when, m.name, mtype, _value(m.value), ",".join(m.tags)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join([*(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)), row[4]]).rstrip()
             for row in rows]
    return "\n".join(lines) + "\n"


def _metric_dict(m: Metric) -> dict[str, Any]:
    return {"name": m.name, "type": m.type, "value": m.value, "tags": list(m.tags), "timestamp": m.timestamp,
            **({"unit": m.unit} if m.unit else {})}


def _print_problems(problems: list[tuple[int, str]], stderr: TextIO, where: str) -> None:
    for number, message in problems:
        print(f"{where}:{number}: {message}", file=stderr)
    if problems:
        count = len(problems)
        print(f"{count} unparseable metric line{'s' if count != 1 else ''}", file=stderr)


# -- parse ------------------------------------------------------------------------------------------


def _run_parse(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.file == "-":
        reading = read_metrics(sys.stdin)
        where = "<stdin>"
    else:
        try:
            with open(args.file, encoding="utf-8", errors="replace") as f:
                reading = read_metrics(f)
        except OSError as err:
            raise UsageError(f"cannot read {args.file}: {err.strerror or err}") from None
        where = args.file
    if args.json:
        json.dump({"metrics": [_metric_dict(m) for m in reading.metrics], "other_lines": len(reading.logs),
                   "unparseable": [{"line": n, "error": e} for n, e in reading.problems]}, stdout, indent=2)
        stdout.write("\n")
    else:
        stdout.write(metrics_table(reading.metrics))
        stdout.write(f"{len(reading.metrics)} metrics, {len(reading.logs)} other lines, "
                     f"{len(reading.problems)} unparseable\n")
    _print_problems(reading.problems, stderr, where)
    return EXIT_FAILED if reading.problems else EXIT_OK


# -- invoke -----------------------------------------------------------------------------------------


@contextmanager
def _environment(updates: Mapping[str, str], drop_prefix: str | None = None) -> Iterator[None]:
    """Set (and, with ``drop_prefix``, first remove) environment variables; restore them afterwards."""
    saved = dict(os.environ)
    try:
        if drop_prefix:
            for name in [n for n in os.environ if n.startswith(drop_prefix)]:
                del os.environ[name]
        os.environ.update(updates)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _split_target(target: str, what: str) -> tuple[str, str]:
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise UsageError(f"{what} {target!r} is not MODULE:FUNCTION (e.g. examples.screen_resize.handler:handler)")
    return module, attr


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ModuleNotFoundError, ValueError):
        return False
    except Exception:  # a parent package exists but fails at import: let the import itself report it
        return True


def _load(target: str, what: str, cold: bool = False) -> Callable[..., Any]:
    """Import ``MODULE:FUNCTION``; ``cold``: run the module again if it was imported (a new container)."""
    module_name, attr = _split_target(target, what)
    if not _module_exists(module_name):
        raise UsageError(f"{what}: no module named {module_name!r} (run from the directory that contains it)")
    module = sys.modules.get(module_name)
    module = importlib.reload(module) if module is not None and cold else importlib.import_module(module_name)
    func = getattr(module, attr, None)
    if not callable(func):
        raise UsageError(f"{what}: module {module_name!r} has no function {attr!r}")
    return func  # type: ignore[no-any-return]


def _read_event(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    except OSError as err:
        raise UsageError(f"cannot read the event file {path}: {err.strerror or err}") from None
    try:
        return json.loads(text)
    except ValueError as err:
        raise UsageError(f"the event file {path} is not valid JSON: {err}") from None


def _env_pairs(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--env {pair!r} is not NAME=VALUE")
        out[name] = value
    return out


def _default_function_name(target: str) -> str:
    module = target.partition(":")[0]
    parts = module.split(".")
    return (parts[-2] if len(parts) > 1 else parts[-1]).replace("_", "-")


@dataclass
class _Emulator:
    url: str
    before: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def objects() -> dict[str, str]:
        import boto3

        s3 = boto3.client("s3")
        found = {}
        for bucket in s3.list_buckets().get("Buckets", []):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
                for obj in page.get("Contents", []):
                    found[f"{bucket['Name']}/{obj['Key']}"] = f"{obj.get('ETag')}:{obj.get('Size')}"
        return found

    def report(self) -> dict[str, Any]:
        """The objects that appeared or changed since :attr:`before`, and every queued message."""
        import boto3

        s3, sqs = boto3.client("s3"), boto3.client("sqs")
        now = self.objects()
        written = []
        for path in sorted(p for p in now if self.before.get(p) != now[p]):
            bucket, _, key = path.partition("/")
            head = s3.head_object(Bucket=bucket, Key=key)
            written.append({"bucket": bucket, "key": key, "bytes": head.get("ContentLength"),
                            "content_type": head.get("ContentType")})
        deleted = sorted(set(self.before) - set(now))
        messages: list[dict[str, Any]] = []
        for url in sqs.list_queues().get("QueueUrls", []):
            while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                for message in batch:
                    body: Any = message.get("Body", "")
                    try:
                        body = json.loads(body)
                    except ValueError:
                        pass
                    messages.append({"queue": url.rsplit("/", 1)[-1], "body": body})
        return {"endpoint": self.url, "s3_written": written, "s3_deleted": deleted, "sqs_messages": messages}


@contextmanager
def _emulated_aws() -> Iterator[str]:
    try:
        import boto3  # noqa: F401
        from moto.server import ThreadedMotoServer
    except ImportError as err:
        raise UsageError(f"--emulate-aws needs moto's server and boto3 ({err.name} is not installed): "
                         "pip install 'lambda-metrics[dev]'") from None
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _emulated_environment(url: str) -> dict[str, str]:
    """Dummy credentials and no profile files: nothing can reach a real account."""
    return {"AWS_ACCESS_KEY_ID": "emulated", "AWS_SECRET_ACCESS_KEY": "emulated", "AWS_SESSION_TOKEN": "emulated",
            "AWS_DEFAULT_REGION": EMULATED_REGION, "AWS_REGION": EMULATED_REGION, "AWS_ENDPOINT_URL": url,
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true"}


def _seed_target(args: argparse.Namespace) -> str | None:
    if args.seed:
        return str(args.seed)
    package = args.target.partition(":")[0].rpartition(".")[0]
    if package and _module_exists(f"{package}.emulate"):
        return f"{package}.emulate:seed"
    return None


@dataclass
class _Outcome:
    result: Any = None
    error: BaseException | None = None
    error_text: str = ""
    output: str = ""
    duration_ms: float = 0.0
    init_ms: float = 0.0
    timed_out: bool = False


def _call(handler_target: str, event: Any, context: Any) -> _Outcome:
    from . import testing

    outcome = _Outcome()
    captured = StringIO()
    testing.reset()  # a cold start: configuration comes from the environment set above
    start = time.perf_counter()
    with redirect_stdout(captured):
        try:
            handler = _load(handler_target, "handler", cold=True)
        except UsageError:
            raise
        except Exception as err:  # the user's module failed at import: Lambda's init error
            outcome.error, outcome.error_text = err, traceback.format_exc()
            outcome.output = captured.getvalue()
            return outcome
        outcome.init_ms = (time.perf_counter() - start) * 1000.0
        start = time.perf_counter()
        try:
            outcome.result = handler(event, context)
        except (Exception, SystemExit) as err:
            outcome.error = err
            outcome.error_text = "".join(traceback.format_exception(type(err), err, err.__traceback__.tb_next
                                                                    if err.__traceback__ else None))
        outcome.duration_ms = (time.perf_counter() - start) * 1000.0
    outcome.output = captured.getvalue()
    outcome.timed_out = outcome.duration_ms > context.timeout_s * 1000.0
    return outcome


def _run_invoke(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from .testing import FakeLambdaContext

    _split_target(args.target, "handler")
    event = _read_event(args.event) if args.event else {}
    extra_env = _env_pairs(args.env)
    if args.memory < 128 or args.memory > 10240:
        raise UsageError(f"--memory {args.memory}: Lambda allows 128 to 10240 MB")
    if not 0 < args.timeout <= 900:
        raise UsageError(f"--timeout {args.timeout}: Lambda allows 1 to 900 seconds")
    if args.format is not None:
        from ._config import FORMATS

        unknown = [f for f in args.format.split(",") if f.strip().lower() not in FORMATS]
        if unknown or not args.format.strip():
            raise UsageError(f"--format {args.format!r}: one or more of {', '.join(FORMATS)}, comma-separated")
    with ExitStack() as stack:
        if os.getcwd() not in sys.path:  # like `python -m`: the project's own packages import
            sys.path.insert(0, os.getcwd())
            stack.callback(sys.path.remove, os.getcwd())
        emulator: _Emulator | None = None
        function_env: dict[str, str] = {}
        if args.emulate_aws:
            emulator = _Emulator(stack.enter_context(_emulated_aws()))
            stack.enter_context(_environment(_emulated_environment(emulator.url), drop_prefix="AWS_"))
            seed = _seed_target(args)
            if seed:
                seeded = _load(seed, "--seed")(event)
                function_env.update({str(k): str(v) for k, v in (seeded or {}).items()})
            emulator.before = emulator.objects()
        context = FakeLambdaContext(function_name=args.function_name or _default_function_name(args.target),
                                    memory_limit_in_mb=args.memory, timeout_s=float(args.timeout))
        function_env.update(context.lambda_environment())
        function_env["_HANDLER"] = args.target
        if args.format:
            function_env["LAMBDA_METRICS_FORMAT"] = args.format
        function_env.update(extra_env)
        with _environment(function_env):
            outcome = _call(args.target, event, context)
        report = emulator.report() if emulator is not None else None
    from . import testing

    testing.reset()  # leave no configuration from the function's environment behind
    return _print_outcome(args, context, function_env, outcome, report, stdout, stderr)


def _print_outcome(args: argparse.Namespace, context: Any, env: Mapping[str, str], outcome: _Outcome,
                   report: dict[str, Any] | None, stdout: TextIO, stderr: TextIO) -> int:
    reading = read_metrics(outcome.output.splitlines())
    failed = outcome.error is not None or outcome.timed_out
    try:
        result_json = json.dumps(outcome.result)
    except (TypeError, ValueError) as err:  # Lambda's Runtime.MarshalError
        result_json, failed = "null", True
        outcome.error_text = f"the handler's result is not JSON serializable: {err}\n"
    if args.json:
        error = None
        if outcome.error is not None or outcome.error_text:
            error = {"type": type(outcome.error).__name__ if outcome.error else "MarshalError",
                     "message": str(outcome.error) if outcome.error else outcome.error_text.strip(),
                     "traceback": outcome.error_text}
        json.dump({"function": {"name": context.function_name, "memory_mb": context.memory_limit_in_mb,
                                "timeout_s": context.timeout_s, "request_id": context.aws_request_id},
                   "result": json.loads(result_json), "error": error, "timed_out": outcome.timed_out,
                   "duration_ms": round(outcome.duration_ms, 3), "logs": reading.logs,
                   "metrics": [_metric_dict(m) for m in reading.metrics],
                   "unparseable": [{"line": n, "error": e} for n, e in reading.problems],
                   "emulated_aws": report}, stdout, indent=2)
        stdout.write("\n")
    else:
        out = stdout.write
        rid = context.aws_request_id
        out(f"START RequestId: {rid} Version: {context.function_version}\n")
        out("".join(f"{line}\n" for line in reading.logs))
        out(f"END RequestId: {rid}\n")
        out(f"REPORT RequestId: {rid}\tDuration: {outcome.duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, int(outcome.duration_ms + 0.999))} ms\t"
            f"Memory Size: {context.memory_limit_in_mb} MB\tInit Duration: {outcome.init_ms:.2f} ms\n")
        if outcome.timed_out:
            out(f"\nTask timed out: ran {outcome.duration_ms / 1000:.2f} s, longer than its {context.timeout_s:g} s "
                "timeout (Lambda would have stopped it)\n")
        if outcome.error_text:
            name = type(outcome.error).__name__ if outcome.error is not None else "MarshalError"
            out(f"\nHandler failed: {name}: {outcome.error if outcome.error is not None else ''}\n")
            out(outcome.error_text)
        else:
            out("\nResult:\n" + json.dumps(outcome.result, indent=2) + "\n")
        out(f"\nMetrics ({len(reading.metrics)} written, format {env.get('LAMBDA_METRICS_FORMAT', 'monitoring')}):\n")
        out(metrics_table(reading.metrics))
        if report is not None:
            out(_format_report(report))
    _print_problems(reading.problems, stderr, "handler output")
    return EXIT_FAILED if failed or reading.problems else EXIT_OK


def _format_report(report: dict[str, Any]) -> str:
    lines = [f"\nEmulated AWS ({report['endpoint']}):"]
    for obj in report["s3_written"]:
        lines.append(f"  s3://{obj['bucket']}/{obj['key']}  {obj['bytes']} bytes  {obj['content_type']}")
    lines.extend(f"  deleted s3://{path}" for path in report["s3_deleted"])
    if not report["s3_written"] and not report["s3_deleted"]:
        lines.append("  no object written to S3")
    for message in report["sqs_messages"]:
        lines.append(f"  sqs {message['queue']}: {json.dumps(message['body'], sort_keys=True)}")
    if not report["sqs_messages"]:
        lines.append("  no SQS message")
    return "\n".join(lines) + "\n"


# -- the command line ------------------------------------------------------------------------------


def _parser() -> _Parser:
    parser = _Parser(prog="lambda-metrics", description="Run a Lambda handler locally; read metric lines back.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    invoke = commands.add_parser("invoke", help="run a handler in-process with a fake Lambda context and environment",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    invoke.add_argument("target", metavar="MODULE:FUNCTION", help="e.g. examples.screen_resize.handler:handler")
    invoke.add_argument("--event", metavar="FILE", help="the event as a JSON file, - for stdin (default: {})")
    invoke.add_argument("--emulate-aws", action="store_true",
                        help="run against moto's server on 127.0.0.1 (AWS_ENDPOINT_URL), seeded by --seed")
    invoke.add_argument("--seed", metavar="MODULE:FUNCTION",
                        help="with --emulate-aws: seed(event) creates resources and returns the function's "
                             "environment (default: <handler package>.emulate:seed if it exists)")
    invoke.add_argument("--function-name", help="default: the handler's package name, e.g. screen-resize")
    invoke.add_argument("--memory", type=int, default=128, metavar="MB", help="memory size in MB (default 128)")
    invoke.add_argument("--timeout", type=int, default=3, metavar="SECONDS", help="timeout in seconds (default 3)")
    invoke.add_argument("--format", help="LAMBDA_METRICS_FORMAT for the handler: monitoring, datadog-json, emf")
    invoke.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable of the function (repeatable)")
    invoke.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parse = commands.add_parser("parse", help="print the metrics in saved logs (raw, CloudWatch export, JSON, EMF)")
    parse.add_argument("file", metavar="FILE", help="a log file, or - for stdin")
    parse.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The ``lambda-metrics`` command; returns the exit code."""
    stdout, stderr = sys.stdout, sys.stderr
    try:
        args = _parser().parse_args(argv)
        if args.command == "invoke":
            return _run_invoke(args, stdout, stderr)
        return _run_parse(args, stdout, stderr)
    except UsageError as err:
        print(f"lambda-metrics: error: {err}", file=stderr)
        return EXIT_USAGE
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
