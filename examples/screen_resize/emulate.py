"""Seed an emulated AWS (moto) so the example runs end to end with no account: ``--emulate-aws``.

``lambda-metrics invoke examples.screen_resize.handler:handler --event ... --emulate-aws`` starts
moto on 127.0.0.1, points ``AWS_ENDPOINT_URL`` at it, then calls :func:`seed` (found next to the
handler as ``<package>.emulate:seed``), which creates what the function's configuration names and
returns that configuration as environment variables.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import boto3
from PIL import Image, ImageDraw

OUTPUT_BUCKET = "screen-resize-screens"
RESULT_QUEUE = "screen-resize-results"


def artboard_png(width: int = 2560, height: int = 1600) -> bytes:
    """A designer's artboard, as a PNG: a header bar, cards, a photo circle and a button."""
    image = Image.new("RGB", (width, height), (246, 247, 251))
    draw = ImageDraw.Draw(image)
    u = max(width // 64, 1)
    draw.rectangle((0, 0, width, 4 * u), fill=(32, 44, 79))
    draw.ellipse((u, u // 2, 4 * u, 3 * u + u // 2), fill=(255, 196, 0))
    for i in range(3):
        left = 2 * u + i * 20 * u
        draw.rounded_rectangle((left, 7 * u, left + 18 * u, 30 * u), radius=u, fill=(255, 255, 255),
                               outline=(214, 219, 230), width=max(u // 8, 1))
        draw.ellipse((left + 5 * u, 9 * u, left + 13 * u, 17 * u), fill=(90 + 60 * i, 150, 220 - 50 * i))
        for row in range(3):
            draw.rectangle((left + 2 * u, (20 + 3 * row) * u, left + (16 - 3 * row) * u, (21 + 3 * row) * u),
                           fill=(200, 205, 218))
    draw.rounded_rectangle((width - 14 * u, height - 6 * u, width - 2 * u, height - 2 * u), radius=2 * u,
                           fill=(0, 122, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def sources(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (bucket, key) pairs the event asks to resize, from S3 records or SNS messages."""
    from urllib.parse import unquote_plus

    out = []
    for record in event.get("Records", []):
        if "s3" in record:
            out.append((record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])))
        elif "Sns" in record:
            try:
                body = json.loads(record["Sns"]["Message"])
                out.append((str(body["bucket"]), str(body["key"])))
            except (ValueError, KeyError, TypeError):
                continue  # the handler reports it as a bad request
    return out


def seed(event: Mapping[str, Any]) -> dict[str, str]:
    """Create the buckets and the queue, upload an artboard under every key of the event.

    Returns the function's environment: ``OUTPUT_BUCKET`` and ``RESULT_QUEUE_URL`` (``SIZES`` keeps its default).
    """
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    image = artboard_png()
    for bucket, key in sources(event):
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=image, ContentType="image/png")
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    queue_url = sqs.create_queue(QueueName=RESULT_QUEUE)["QueueUrl"]
    return {"OUTPUT_BUCKET": OUTPUT_BUCKET, "RESULT_QUEUE_URL": queue_url}
