"""Screen resize: an artboard lands in S3 (or is announced on SNS); write every requested size of it to
the permanent bucket and announce the result on SQS.

The function's environment (what its Lambda configuration sets):

``OUTPUT_BUCKET``     the permanent bucket the resized images go to
``RESULT_QUEUE_URL``  the SQS queue that gets one message per request
``SIZES``             the sizes to make, ``"1280x800,640x400,200x125"`` (the default)

Events (both parsed with ``aws_lambda_powertools.utilities.data_classes``):

* an S3 put notification: every record is one request for ``SIZES``;
* an SNS notification: every record's ``Message`` is JSON
  ``{"bucket": "artboards-in", "key": "artboards/hero.png", "sizes": ["640x400"]}``
  (``sizes`` is optional and defaults to ``SIZES``).

Each size is the largest image of the source's aspect ratio that fits the box (never upscaled), in the
source format (PNG, JPEG, WebP; anything else becomes PNG), written to ``<key stem>-<W>x<H>.<ext>``.
The SQS message and the handler's result say what happened per request::

    {"status": "ok", "source": {"bucket": ..., "key": ...}, "format": "png",
     "outputs": [{"bucket": ..., "key": ..., "size": "640x400", "width": 640, "height": 400, "bytes": 81234}]}
    {"status": "failed", "source": {...}, "reason": "bad_image", "error": "cannot identify image file"}

Every request counts ``screen_resize.requests``. A request that cannot succeed (``bad_request``,
``missing_object``, ``bad_image``) is a clean failure: a ``screen_resize.failures`` count tagged with
the reason, the failure message on SQS, nothing left in the output bucket, and the handler returns
normally (retrying would not help). An upload that fails (``upload_failed``) deletes what this request
already uploaded, reports the same way with ``"retryable": true``, then raises so that Lambda retries
and the errors monitor sees it.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
from aws_lambda_powertools.utilities.data_classes import S3Event, SNSEvent
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, ImageOps

import lambda_metrics

from .metrics import BYTES_IN, BYTES_OUT, FAILURES, IMAGES, NAMESPACE, REQUESTS, RESIZE_MS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

DEFAULT_SIZES = "1280x800,640x400,200x125"
MAX_SIZES = 10
_SIZE = re.compile(r"^([1-9][0-9]{0,4})x([1-9][0-9]{0,4})$")
_OUTPUT_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
_MISSING_CODES = frozenset(("NoSuchKey", "NoSuchBucket", "404", "NotFound"))


class Failure(Exception):
    """A request that produced no output; ``reason`` becomes the metric tag and the SQS message field."""

    def __init__(self, reason: str, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.retryable = retryable


class UploadFailed(Failure):
    """Writing to the output bucket failed (after removing this request's uploads): Lambda should retry."""

    def __init__(self, message: str) -> None:
        super().__init__("upload_failed", message, retryable=True)


@dataclass(frozen=True)
class Request:
    bucket: str
    key: str
    sizes: tuple[str, ...]


@dataclass(frozen=True)
class Container:
    """What a cold start sets up once and every invocation of the container reuses."""

    output_bucket: str
    queue_url: str
    sizes: tuple[str, ...]
    s3: S3Client
    sqs: SQSClient


def parse_sizes(value: object) -> tuple[str, ...]:
    """``"1280x800,640x400"`` or ``["1280x800", "640x400"]`` -> ``("1280x800", "640x400")``."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items or len(items) > MAX_SIZES:
        raise ValueError(f"sizes: 1 to {MAX_SIZES} sizes like '640x400' expected, got {value!r}")
    sizes = tuple(str(item).strip() for item in items)
    bad = [s for s in sizes if not _SIZE.match(s)]
    if bad:
        raise ValueError(f"sizes: {', '.join(map(repr, bad))} is not <width>x<height> (e.g. '640x400')")
    return tuple(dict.fromkeys(sizes))


@cache
def container() -> Container:
    """Read the configuration and create the clients once per container (boto3 honours AWS_ENDPOINT_URL)."""
    missing = [name for name in ("OUTPUT_BUCKET", "RESULT_QUEUE_URL") if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"screen-resize is not configured: set {' and '.join(missing)}")
    return Container(
        output_bucket=os.environ["OUTPUT_BUCKET"],
        queue_url=os.environ["RESULT_QUEUE_URL"],
        sizes=parse_sizes(os.environ.get("SIZES") or DEFAULT_SIZES),
        s3=boto3.client("s3"),
        sqs=boto3.client("sqs"),
    )


def requests_from(event: dict[str, Any], default_sizes: tuple[str, ...]) -> list[Request | Failure]:
    """One request per record; an SNS message that is not a valid request is a ``bad_request``."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        return [Failure("bad_request", "the event has no Records: an S3 or SNS notification is expected")]
    if records[0].get("EventSource") == "aws:sns":
        out: list[Request | Failure] = []
        for record in SNSEvent(event).records:
            try:
                body = json.loads(record.sns.message)
                if not isinstance(body, dict) or not body.get("bucket") or not body.get("key"):
                    raise ValueError('the SNS message is not {"bucket": ..., "key": ..., "sizes": [...]}')
                sizes = parse_sizes(body["sizes"]) if "sizes" in body else default_sizes
                out.append(Request(str(body["bucket"]), str(body["key"]), sizes))
            except ValueError as err:
                out.append(Failure("bad_request", str(err)))
        return out
    # S3 URL-encodes the key in notifications ("my artboard.png" arrives as "my+artboard.png").
    return [Request(r.s3.bucket.name, unquote_plus(r.s3.get_object.key), default_sizes) for r in S3Event(event).records]


def render(data: bytes, sizes: tuple[str, ...]) -> tuple[str, str, list[tuple[str, int, int, bytes]]]:
    """Decode the source and encode every size in memory: (source format, extension, outputs)."""
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.load()
            fmt = (source.format or "unknown").upper()
            image = ImageOps.exif_transpose(source)
            out_format = fmt if fmt in _OUTPUT_FORMATS else "PNG"
            outputs = []
            for size in sizes:
                width, _, height = size.partition("x")
                with RESIZE_MS.time(size=size):
                    resized = ImageOps.contain(image, (min(int(width), image.width), min(int(height), image.height)),
                                               Image.Resampling.LANCZOS)
                    buffer = io.BytesIO()
                    resized.save(buffer, format=out_format)
                outputs.append((size, resized.width, resized.height, buffer.getvalue()))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as err:
        raise Failure("bad_image", f"not a usable image: {err}") from None
    return fmt.lower(), _OUTPUT_FORMATS[out_format], outputs


def output_key(key: str, size: str, extension: str) -> str:
    path = PurePosixPath(key)
    return str(path.with_name(f"{path.stem}-{size}.{extension}"))


def process(request: Request, aws: Container) -> dict[str, Any]:
    """Download, resize, upload every size (or none of them); the result message."""
    try:
        data = aws.s3.get_object(Bucket=request.bucket, Key=request.key)["Body"].read()
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code"))
        if code in _MISSING_CODES:
            raise Failure("missing_object", f"s3://{request.bucket}/{request.key} does not exist ({code})") from None
        raise
    fmt, extension, rendered = render(data, request.sizes)
    BYTES_IN.inc(len(data), format=fmt)
    uploaded: list[str] = []
    outputs: list[dict[str, Any]] = []
    try:
        for size, width, height, body in rendered:
            key = output_key(request.key, size, extension)
            aws.s3.put_object(Bucket=aws.output_bucket, Key=key, Body=body, ContentType=f"image/{extension}")
            uploaded.append(key)
            outputs.append({"bucket": aws.output_bucket, "key": key, "size": size,
                            "width": width, "height": height, "bytes": len(body)})
    except (ClientError, BotoCoreError) as err:
        leftover = remove(aws, uploaded)
        note = f"; could not remove {', '.join(leftover)}" if leftover else ""
        raise UploadFailed(f"upload to s3://{aws.output_bucket} failed: {err}{note}") from err
    IMAGES.inc(format=fmt)
    for output in outputs:
        BYTES_OUT.inc(output["bytes"], size=output["size"])
    return {"status": "ok", "source": {"bucket": request.bucket, "key": request.key}, "format": fmt,
            "outputs": outputs}


def remove(aws: Container, keys: list[str]) -> list[str]:
    """Delete this request's uploads; the keys that could not be deleted."""
    if not keys:
        return []
    try:
        answer = aws.s3.delete_objects(Bucket=aws.output_bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    except (ClientError, BotoCoreError):
        return keys
    return [str(error.get("Key")) for error in answer.get("Errors", [])]


def _send(aws: Container, message: dict[str, Any]) -> None:
    aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=json.dumps(message, sort_keys=True))


def _log_line(result: dict[str, Any]) -> str:
    source = result.get("source")
    where = f"s3://{source['bucket']}/{source['key']}" if source else "(no source)"
    if result["status"] == "ok":
        return f"screen-resize: ok {where} -> {len(result['outputs'])} sizes in s3://{result['outputs'][0]['bucket']}"
    return f"screen-resize: failed {where}: {result['reason']}: {result['error']}"


@lambda_metrics.instrument(namespace=NAMESPACE)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: one result (and one SQS message) per record of the event."""
    aws = container()
    results = []
    for request in requests_from(event, aws.sizes):
        REQUESTS.inc()
        try:
            if isinstance(request, Failure):
                raise request
            result = process(request, aws)
        except Failure as failure:
            FAILURES.inc(reason=failure.reason)
            result = {"status": "failed", "reason": failure.reason, "error": str(failure)}
            if isinstance(request, Request):
                result["source"] = {"bucket": request.bucket, "key": request.key}
            if failure.retryable:
                result["retryable"] = True
                _send(aws, result)
                print(_log_line(result) + " (Lambda will retry)")
                raise
        _send(aws, result)
        print(_log_line(result))
        results.append(result)
    return {"results": results}
