"""``lambda-metrics invoke`` and ``lambda-metrics parse``: what a user sees, and the exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import boto3
import pytest

from lambda_metrics.__main__ import main
from lambda_metrics.testing import capture

ROOT = Path(__file__).resolve().parents[1]
S3_EVENT = "examples/screen_resize/events/s3_put.json"
SNS_EVENT = "examples/screen_resize/events/sns_message.json"
HANDLER = "examples.screen_resize.handler:handler"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture
def handlers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory of small handler modules, as the current directory (invoke imports from there)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "event.json").write_text('{"n": 2}')
    return tmp_path


def write_handler(directory: Path, name: str, body: str) -> str:
    (directory / f"{name}.py").write_text("import lambda_metrics\n\n" + textwrap.dedent(body))
    return f"{name}:handler"


# -- invoke ----------------------------------------------------------------------------------------


def test_invoke_with_emulated_aws_prints_logs_result_metrics_and_what_landed(
    in_root: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "invoke", HANDLER, "--event", S3_EVENT, "--emulate-aws", "--timeout", "30")

    assert code == 0, err
    assert out.startswith("START RequestId: ")
    assert "screen-resize: ok s3://screen-resize-uploads/artboards/home-screen.png -> 3 sizes" in out
    assert "\nREPORT RequestId: " in out and "Memory Size: 128 MB" in out
    result = json.loads(out.split("\nResult:\n", 1)[1].split("\n\nMetrics", 1)[0])
    assert [o["size"] for o in result["results"][0]["outputs"]] == ["1280x800", "640x400", "200x125"]
    table = out.split("\nMetrics (12 written, format monitoring):\n", 1)[1].split("\n\nEmulated AWS", 1)[0]
    rows = [line.split() for line in table.splitlines()]
    assert rows[0] == ["TIME", "(UTC)", "NAME", "TYPE", "VALUE", "TAGS"]
    assert [(r[1], r[2]) for r in rows[1:3]] == [("screen_resize.requests", "count"),
                                                 ("screen_resize.resize_ms", "histogram")]
    assert ["screen_resize.images", "count", "1", "format:png"] in [r[1:] for r in rows]
    assert rows[-3][1:] == ["screen_resize.invocations", "count", "1", "function_name:screen-resize,cold_start:true"]
    assert "  s3://screen-resize-screens/artboards/home-screen-1280x800.png  " in out
    assert '  sqs screen-resize-results: {"format": "png", "outputs": [' in out
    assert err == ""
    assert "AWS_ENDPOINT_URL" not in os.environ  # the environment is restored


def test_invoke_json_of_the_sns_event(in_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "invoke", HANDLER, "--event", SNS_EVENT, "--emulate-aws", "--json",
                       "--function-name", "resize-prod", "--memory", "1024", "--timeout", "30")

    report = json.loads(out)
    assert code == 0
    assert report["function"]["name"] == "resize-prod"
    assert report["function"]["memory_mb"] == 1024
    assert report["error"] is None
    assert [m["name"] for m in report["metrics"]].count("screen_resize.bytes_out") == 2
    images = [m for m in report["metrics"] if m["name"] == "screen_resize.images"]
    assert [(m["type"], m["value"], m["tags"]) for m in images] == [("count", 1, ["format:png"])]
    written = [o["key"] for o in report["emulated_aws"]["s3_written"]]
    assert written == ["artboards/settings-200x125.png", "artboards/settings-640x400.png"]
    [message] = report["emulated_aws"]["sqs_messages"]
    assert message["body"]["status"] == "ok"
    assert report["logs"] == [
        "screen-resize: ok s3://screen-resize-uploads/artboards/settings.png -> 2 sizes in s3://screen-resize-screens"
    ]


def test_invoke_sets_the_lambda_environment_and_the_format(handlers: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DD_ENV", "staging")
    target = write_handler(handlers, "env_handler", """
        import os

        @lambda_metrics.instrument
        def handler(event, context):
            lambda_metrics.count("orders.seen", event["n"], tags=["shop:eu"])
            print("remaining", context.get_remaining_time_in_millis() > 4000)
            return {k: os.environ.get(k) for k in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                                                   "_HANDLER", "GREETING", "LAMBDA_METRICS_FORMAT")}
    """)

    code, out, _ = run(capsys, "invoke", target, "--event", "event.json", "--function-name", "orders",
                       "--memory", "512", "--timeout", "5", "--format", "datadog-json",
                       "--env", "GREETING=hi", "--json")

    report = json.loads(out)
    assert code == 0
    assert report["result"] == {"AWS_LAMBDA_FUNCTION_NAME": "orders", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                                "_HANDLER": target, "GREETING": "hi", "LAMBDA_METRICS_FORMAT": "datadog-json"}
    assert report["logs"] == ["remaining True"]
    first = report["metrics"][0]
    assert (first["name"], first["type"], first["value"]) == ("orders.seen", "distribution", 2)
    assert first["tags"] == ["shop:eu", "env:staging"]
    assert "GREETING" not in os.environ


def test_a_failing_handler_prints_its_error_and_the_metrics_it_wrote(handlers: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    target = write_handler(handlers, "failing_handler", """
        @lambda_metrics.instrument
        def handler(event, context):
            lambda_metrics.count("orders.seen", 1)
            return event["missing"]
    """)

    code, out, _ = run(capsys, "invoke", target, "--event", "event.json")

    assert code == 1
    assert "\nHandler failed: KeyError: 'missing'\nTraceback (most recent call last):\n" in out
    assert 'failing_handler.py", line 7, in handler' in out
    assert "_cli.py" not in out  # the user's code, not the CLI's
    assert "orders.seen" in out.split("\nMetrics (")[1]
    assert "lambda_metrics.errors" in out and "error_type:keyerror" in out


def test_a_handler_slower_than_its_timeout_is_reported(handlers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write_handler(handlers, "slow_handler", """
        import time

        def handler(event, context):
            time.sleep(1.05)
            return context.get_remaining_time_in_millis()
    """)

    code, out, _ = run(capsys, "invoke", target, "--timeout", "1")

    assert code == 1
    assert "Task timed out: ran 1.0" in out and "longer than its 1 s timeout" in out


def test_a_result_that_is_not_json_fails_like_lambda(handlers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write_handler(handlers, "set_handler", "def handler(event, context):\n    return {1, 2}\n")

    code, out, _ = run(capsys, "invoke", target)

    assert code == 1
    assert "Handler failed: MarshalError" in out and "not JSON serializable" in out


def test_a_module_that_fails_at_import_is_an_init_error(handlers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write_handler(handlers, "broken_init", "raise RuntimeError('no config')\n")

    code, out, _ = run(capsys, "invoke", target)

    assert code == 1
    assert "Handler failed: RuntimeError: no config" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["invoke", "no_such_module:handler"], "handler: no module named 'no_such_module'"),
        (["invoke", "ok_handler:nope"], "handler: module 'ok_handler' has no function 'nope'"),
        (["invoke", "ok_handler"], "handler 'ok_handler' is not MODULE:FUNCTION"),
        (["invoke", "ok_handler:handler", "--event", "missing.json"], "cannot read the event file missing.json"),
        (["invoke", "ok_handler:handler", "--event", "bad.json"], "the event file bad.json is not valid JSON"),
        (["invoke", "ok_handler:handler", "--env", "NOVALUE"], "--env 'NOVALUE' is not NAME=VALUE"),
        (["invoke", "ok_handler:handler", "--memory", "64"], "--memory 64: Lambda allows 128 to 10240 MB"),
        (["invoke", "ok_handler:handler", "--timeout", "abc"], "argument --timeout: invalid int value"),
        (["invoke", "ok_handler:handler", "--format", "statsd"], "--format 'statsd': one or more of monitoring"),
        (["parse", "missing.log"], "cannot read missing.log"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(handlers: Path, capsys: pytest.CaptureFixture[str],
                                               argv: list[str], message: str) -> None:
    write_handler(handlers, "ok_handler", "def handler(event, context):\n    return 1\n")
    (handlers / "bad.json").write_text("{not json")

    code, out, err = run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert err.startswith("lambda-metrics: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_emulate_aws_without_moto_names_the_extra(in_root: None, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)

    code, _, err = run(capsys, "invoke", HANDLER, "--event", S3_EVENT, "--emulate-aws")

    assert code == 2
    assert "--emulate-aws needs moto's server" in err and "pip install 'lambda-metrics[dev]'" in err


def test_invoke_against_an_endpoint_you_started_yourself(in_root: None, moto_server: object,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket="screen-resize-uploads")
    s3.create_bucket(Bucket="out")
    s3.put_object(Bucket="screen-resize-uploads", Key="artboards/home-screen.png", Body=b"GIF89a-not-really")
    queue = sqs.create_queue(QueueName="results")["QueueUrl"]

    code, out, _ = run(capsys, "invoke", HANDLER, "--event", S3_EVENT, "--json",
                       "--env", "OUTPUT_BUCKET=out", "--env", f"RESULT_QUEUE_URL={queue}")

    report = json.loads(out)
    assert code == 0  # a bad image is a clean failure, not a handler error
    assert report["result"]["results"][0]["reason"] == "bad_image"
    assert ["reason:bad_image"] in [m["tags"] for m in report["metrics"] if m["name"] == "screen_resize.failures"]
    assert report["emulated_aws"] is None


# -- parse -----------------------------------------------------------------------------------------


def emf_line() -> str:
    from lambda_metrics import Histogram

    resize = Histogram("cli_test.resize_ms", tags=("size",), unit="millisecond")
    with capture(format="emf") as captured:
        resize.observe(41.5, size="640x400")
    [line] = captured.lines
    return line


LOG = """\
START RequestId: 8f5c Version: $LATEST
MONITORING|1714564800|1|count|screen_resize.images|#format:png
2024-05-01T12:00:00.123Z\t8f5c-11ee\tMONITORING|1714564800|41.7|histogram|screen_resize.resize_ms|#size:640x400
2024-05-01T12:00:00.124000+00:00 2024/05/01/[$LATEST]abc MONITORING|1714564801|3|gauge|queue.depth|#
1714564800000,"MONITORING|1714564802|0|check|screen_resize.pipeline|#env:prod,service:resize"
MONITORING|1714564800|abc|count|broken.value|#a:b
{"m": "orders.seen", "v": 2, "e": 1714564800, "t": ["shop:eu"]}
{"level": "INFO", "message": "a JSON log line is not a metric"}
2024-05-01T12:00:00.125Z\t8f5c\tMONITORING|1714564800|1|count
{EMF}
END RequestId: 8f5c
"""


def test_parse_reads_raw_cloudwatch_csv_json_and_emf_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "exported.log"
    path.write_text(LOG.replace("{EMF}", emf_line()))

    code, out, err = run(capsys, "parse", str(path))

    assert code == 1
    rows = [line.split() for line in out.splitlines()]
    assert rows[0] == ["TIME", "(UTC)", "NAME", "TYPE", "VALUE", "TAGS"]
    assert [r[1:] for r in rows[1:-1]] == [
        ["screen_resize.images", "count", "1", "format:png"],
        ["screen_resize.resize_ms", "histogram", "41.7", "size:640x400"],
        ["queue.depth", "gauge", "3"],
        ["screen_resize.pipeline", "check", "0", "env:prod,service:resize"],
        ["orders.seen", "distribution", "2", "shop:eu"],
        ["cli_test.resize_ms", "emf/Milliseconds", "41.5", "size:640x400"],
    ]
    assert rows[1][0] == "2024-05-01T12:00:00Z"
    assert out.splitlines()[-1] == "6 metrics, 3 other lines, 2 unparseable"
    assert err.splitlines() == [
        f"{path}:6: monitoring line does not parse: value 'abc': a metric value is a finite decimal number",
        f"{path}:9: monitoring line does not parse: line 'MONITORING|1714564800|1|count': "
        "MONITORING|<epoch>|<value>|<type>|<name>[|#<tags>] has 5 or 6 fields",
        "2 unparseable metric lines",
    ]


def test_parse_from_stdin_as_json_exits_0_when_everything_parsed(capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hello\nMONITORING|1714564800|1|count|a.b|#x:y\n"))

    code, out, err = run(capsys, "parse", "-", "--json")

    assert code == 0 and err == ""
    assert json.loads(out) == {
        "metrics": [{"name": "a.b", "type": "count", "value": 1, "tags": ["x:y"], "timestamp": 1714564800}],
        "other_lines": 1,
        "unparseable": [],
    }


def test_a_mention_of_monitoring_inside_a_log_message_is_not_a_metric(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("we write lines like MONITORING|<epoch>|...\n"))

    code, out, _ = run(capsys, "parse", "-")

    assert code == 0 and out.endswith("0 metrics, 1 other lines, 0 unparseable\n")


# -- the main job, as a user runs it ---------------------------------------------------------------


def test_the_main_job_runs_as_a_subprocess_with_no_aws_configuration(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DD_", "LAMBDA_METRICS_"))}
    env["HOME"] = str(tmp_path)  # no ~/.aws either
    answer = subprocess.run(
        [sys.executable, "-m", "lambda_metrics", "invoke", HANDLER, "--event", S3_EVENT, "--emulate-aws",
         "--timeout", "30"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )

    assert answer.returncode == 0, answer.stderr
    assert answer.stderr == ""
    assert "screen_resize.images" in answer.stdout and "format:png" in answer.stdout
    assert "s3://screen-resize-screens/artboards/home-screen-200x125.png" in answer.stdout
    assert "sqs screen-resize-results: " in answer.stdout

