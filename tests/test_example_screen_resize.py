"""The screen-resize example end to end against moto's server: S3/SNS in, resized images and an SQS message out."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time
from PIL import Image

from examples.screen_resize import handler as screen_resize  # the repo root is on sys.path (pyproject pythonpath)
from examples.screen_resize.emulate import artboard_png
from lambda_metrics.testing import FakeLambdaContext, capture

ROOT = Path(__file__).resolve().parents[1]

EVENTS = ROOT / "examples" / "screen_resize" / "events"
UPLOADS, SCREENS = "screen-resize-uploads", "screen-resize-screens"
FROZEN = "2024-05-01 12:00:00"
EPOCH = 1714564800


class Pipeline:
    """The emulated AWS side of the function: input and output buckets, the result queue."""

    def __init__(self, queue_url: str) -> None:
        self.s3 = boto3.client("s3")
        self.sqs = boto3.client("sqs")
        self.queue_url = queue_url

    def upload(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=UPLOADS, Key=key, Body=body)

    def outputs(self) -> dict[str, bytes]:
        listing = self.s3.list_objects_v2(Bucket=SCREENS).get("Contents", [])
        return {o["Key"]: self.s3.get_object(Bucket=SCREENS, Key=o["Key"])["Body"].read() for o in listing}

    def messages(self) -> list[dict[str, Any]]:
        answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


@pytest.fixture
def pipeline(moto_server: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pipeline]:
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=UPLOADS)
    s3.create_bucket(Bucket=SCREENS)
    queue_url = sqs.create_queue(QueueName="screen-resize-results")["QueueUrl"]
    monkeypatch.setenv("OUTPUT_BUCKET", SCREENS)
    monkeypatch.setenv("RESULT_QUEUE_URL", queue_url)
    monkeypatch.setenv("SIZES", "320x200,160x100")
    screen_resize.container.cache_clear()  # a new container for every test
    yield Pipeline(queue_url)
    screen_resize.container.cache_clear()


def s3_event(key: str, bucket: str = UPLOADS) -> dict[str, Any]:
    event = json.loads((EVENTS / "s3_put.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    event["Records"][0]["s3"]["object"]["key"] = key
    return event


def sns_event(message: object) -> dict[str, Any]:
    event = json.loads((EVENTS / "sns_message.json").read_text())
    event["Records"][0]["Sns"]["Message"] = message if isinstance(message, str) else json.dumps(message)
    return event


def invoke(event: dict[str, Any]) -> Any:
    return screen_resize.handler(event, FakeLambdaContext(function_name="screen-resize", timeout_s=30))


def dimensions(data: bytes) -> tuple[str | None, tuple[int, int]]:
    with Image.open(io.BytesIO(data)) as image:
        return image.format, image.size


def test_a_png_artboard_becomes_every_default_size_and_one_sqs_message(pipeline: Pipeline,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIZES")  # the default: 1280x800, 640x400, 200x125
    pipeline.upload("artboards/home-screen.png", artboard_png(2560, 1600))

    result = invoke(s3_event("artboards/home-screen.png"))

    outputs = pipeline.outputs()
    assert {key: dimensions(data) for key, data in outputs.items()} == {
        "artboards/home-screen-1280x800.png": ("PNG", (1280, 800)),
        "artboards/home-screen-640x400.png": ("PNG", (640, 400)),
        "artboards/home-screen-200x125.png": ("PNG", (200, 125)),
    }
    head = pipeline.s3.head_object(Bucket=SCREENS, Key="artboards/home-screen-640x400.png")
    assert head["ContentType"] == "image/png"
    expected = {
        "status": "ok",
        "source": {"bucket": UPLOADS, "key": "artboards/home-screen.png"},
        "format": "png",
        "outputs": [
            {"bucket": SCREENS, "key": f"artboards/home-screen-{w}x{h}.png", "size": f"{w}x{h}",
             "width": w, "height": h, "bytes": len(outputs[f"artboards/home-screen-{w}x{h}.png"])}
            for w, h in ((1280, 800), (640, 400), (200, 125))
        ],
    }
    assert result == {"results": [expected]}
    assert pipeline.messages() == [expected]


def test_the_exact_metric_lines_of_one_invocation(pipeline: Pipeline) -> None:
    source = artboard_png(640, 400)
    pipeline.upload("artboards/a.png", source)

    with freeze_time(FROZEN), capture() as metrics:
        invoke(s3_event("artboards/a.png"))

    big, small = (len(pipeline.outputs()[f"artboards/a-{size}.png"]) for size in ("320x200", "160x100"))
    tags = "function_name:screen-resize,cold_start:true"
    assert metrics.lines == [
        f"MONITORING|{EPOCH}|1|count|screen_resize.requests|#",
        f"MONITORING|{EPOCH}|0.0|histogram|screen_resize.resize_ms|#size:320x200",
        f"MONITORING|{EPOCH}|0.0|histogram|screen_resize.resize_ms|#size:160x100",
        f"MONITORING|{EPOCH}|{len(source)}|count|screen_resize.bytes_in|#format:png",
        f"MONITORING|{EPOCH}|1|count|screen_resize.images|#format:png",
        f"MONITORING|{EPOCH}|{big}|count|screen_resize.bytes_out|#size:320x200",
        f"MONITORING|{EPOCH}|{small}|count|screen_resize.bytes_out|#size:160x100",
        f"MONITORING|{EPOCH}|1|count|screen_resize.invocations|#{tags}",
        f"MONITORING|{EPOCH}|0.0|histogram|screen_resize.duration|#{tags}",
        f"MONITORING|{EPOCH}|1|count|screen_resize.cold_starts|#{tags}",
    ]


def test_an_sns_message_names_the_object_and_its_own_sizes(pipeline: Pipeline) -> None:
    pipeline.upload("artboards/settings.png", artboard_png(640, 400))

    result = invoke(sns_event({"bucket": UPLOADS, "key": "artboards/settings.png", "sizes": ["100x100"]}))

    assert {k: dimensions(v) for k, v in pipeline.outputs().items()} == {
        "artboards/settings-100x100.png": ("PNG", (100, 62)),  # the aspect ratio is kept
    }
    assert [m["status"] for m in pipeline.messages()] == ["ok"]
    assert result["results"][0]["outputs"][0]["width"] == 100


def test_the_sample_sns_event_uses_its_sizes(pipeline: Pipeline) -> None:
    pipeline.upload("artboards/settings.png", artboard_png(1280, 800))

    result = invoke(json.loads((EVENTS / "sns_message.json").read_text()))

    assert [o["size"] for o in result["results"][0]["outputs"]] == ["640x400", "200x125"]


def test_an_s3_key_arrives_url_encoded(pipeline: Pipeline) -> None:
    pipeline.upload("artboards/home screen.png", artboard_png(320, 200))

    invoke(s3_event("artboards/home+screen.png"))

    assert sorted(pipeline.outputs()) == ["artboards/home screen-160x100.png", "artboards/home screen-320x200.png"]


def test_jpeg_stays_jpeg_and_small_images_are_not_upscaled(pipeline: Pipeline) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (200, 30, 30)).save(buffer, format="JPEG")
    pipeline.upload("photos/red.jpg", buffer.getvalue())

    with capture() as metrics:
        invoke(s3_event("photos/red.jpg"))

    assert {k: dimensions(v) for k, v in pipeline.outputs().items()} == {
        "photos/red-320x200.jpg": ("JPEG", (200, 100)),
        "photos/red-160x100.jpg": ("JPEG", (160, 80)),
    }
    assert metrics.named("screen_resize.images")[0].tags == ("format:jpeg",)


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"this is not an image", "cannot identify image file"),
        (artboard_png(320, 200)[:-200], "truncated"),
    ],
    ids=["not-an-image", "truncated-png"],
)
def test_a_bad_image_is_a_clean_failure(pipeline: Pipeline, body: bytes, detail: str) -> None:
    pipeline.upload("artboards/broken.png", body)

    with capture() as metrics:
        result = invoke(s3_event("artboards/broken.png"))

    failure = {"status": "failed", "reason": "bad_image", "source": {"bucket": UPLOADS, "key": "artboards/broken.png"}}
    assert {key: result["results"][0].get(key) for key in failure} == failure
    assert detail in result["results"][0]["error"]
    assert pipeline.messages() == result["results"]
    assert pipeline.outputs() == {}
    assert [m.tags for m in metrics.named("screen_resize.failures")] == [("reason:bad_image",)]
    assert metrics.named("screen_resize.errors") == []  # handled: the handler returned normally
    assert metrics.named("screen_resize.images") == []


def test_a_missing_object_is_a_clean_failure(pipeline: Pipeline) -> None:
    with capture() as metrics:
        result = invoke(s3_event("artboards/gone.png"))

    assert result["results"][0]["reason"] == "missing_object"
    assert result["results"][0]["error"] == "s3://screen-resize-uploads/artboards/gone.png does not exist (NoSuchKey)"
    assert pipeline.messages() == result["results"]
    assert [m.tags for m in metrics.named("screen_resize.failures")] == [("reason:missing_object",)]


def test_a_missing_bucket_is_a_missing_object(pipeline: Pipeline) -> None:
    result = invoke(s3_event("artboards/a.png", bucket="no-such-bucket"))

    assert result["results"][0]["reason"] == "missing_object"


@pytest.mark.parametrize(
    "message",
    ["not json", {"key": "artboards/a.png"}, {"bucket": UPLOADS, "key": "a.png", "sizes": ["big"]}],
    ids=["not-json", "no-bucket", "bad-size"],
)
def test_an_sns_message_that_is_not_a_request_is_a_bad_request(pipeline: Pipeline, message: object) -> None:
    with capture() as metrics:
        result = invoke(sns_event(message))

    assert result["results"][0]["reason"] == "bad_request"
    assert "source" not in result["results"][0]
    assert pipeline.messages() == result["results"]
    assert [m.tags for m in metrics.named("screen_resize.failures")] == [("reason:bad_request",)]


def test_a_failed_upload_removes_what_was_uploaded_then_raises(pipeline: Pipeline,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline.upload("artboards/a.png", artboard_png(640, 400))
    s3 = screen_resize.container().s3
    real_put = s3.put_object
    calls: list[str] = []

    def put_object(**kwargs: Any) -> Any:
        calls.append(kwargs["Key"])
        if len(calls) == 2:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "Please reduce your request rate."}},
                              "PutObject")
        return real_put(**kwargs)

    monkeypatch.setattr(s3, "put_object", put_object)

    with capture() as metrics, pytest.raises(screen_resize.UploadFailed, match="SlowDown") as raised:
        invoke(s3_event("artboards/a.png"))

    assert calls == ["artboards/a-320x200.png", "artboards/a-160x100.png"]  # the first one did land...
    assert pipeline.outputs() == {}  # ...and was removed
    assert raised.value.reason == "upload_failed"
    [message] = pipeline.messages()
    assert (message["status"], message["reason"], message["retryable"]) == ("failed", "upload_failed", True)
    assert [m.tags for m in metrics.named("screen_resize.failures")] == [("reason:upload_failed",)]
    errors = metrics.named("screen_resize.errors")
    assert [m.tag_dict()["error_type"] for m in errors] == ["uploadfailed"]  # tags are lowercased
    assert metrics.named("screen_resize.images") == []


def test_an_unconfigured_function_says_what_to_set(moto_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OUTPUT_BUCKET", raising=False)
    monkeypatch.delenv("RESULT_QUEUE_URL", raising=False)
    screen_resize.container.cache_clear()

    with pytest.raises(RuntimeError, match="set OUTPUT_BUCKET and RESULT_QUEUE_URL"):
        invoke(s3_event("a.png"))


@pytest.mark.parametrize(
    ("sizes", "expected"),
    [("1280x800, 640x400", ("1280x800", "640x400")), (["200x125", "200x125"], ("200x125",))],
)
def test_sizes_are_width_x_height(sizes: object, expected: tuple[str, ...]) -> None:
    assert screen_resize.parse_sizes(sizes) == expected


@pytest.mark.parametrize("sizes", ["", "640", "0x400", "640x400x2", [], ["1x1"] * 11, 640])
def test_sizes_that_are_refused(sizes: object) -> None:
    with pytest.raises(ValueError, match="sizes"):
        screen_resize.parse_sizes(sizes)
