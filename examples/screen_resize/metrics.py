"""The metrics the screen-resize function declares.

Declared once at import (a cold start), so each call only formats a timestamp and a value. This
module is also the ``catalog:`` of ``monitors.yaml``: monitors and dashboards refer to these names.
"""

from __future__ import annotations

from lambda_metrics import Counter, Histogram

__all__ = ["BYTES_IN", "BYTES_OUT", "FAILURES", "IMAGES", "NAMESPACE", "REQUESTS", "RESIZE_MS"]

#: ``@instrument(namespace=NAMESPACE)`` writes ``screen_resize.invocations``, ``.duration``,
#: ``.cold_starts`` and ``.errors`` next to the metrics below.
NAMESPACE = "screen_resize"

REQUESTS = Counter(
    "screen_resize.requests",
    description="Resize requests received: one per S3 or SNS record, whatever their outcome.",
    unit="count",
)
IMAGES = Counter(
    "screen_resize.images",
    tags=("format",),
    description="Source images resized and delivered, by source format (png, jpeg, webp, ...).",
    unit="count",
)
BYTES_IN = Counter(
    "screen_resize.bytes_in",
    tags=("format",),
    description="Bytes of source images downloaded, by source format.",
    unit="byte",
)
BYTES_OUT = Counter(
    "screen_resize.bytes_out",
    tags=("size",),
    description="Bytes of resized images uploaded, by requested size (e.g. 1280x800).",
    unit="byte",
)
RESIZE_MS = Histogram(
    "screen_resize.resize_ms",
    tags=("size",),
    description="Time to resize and encode one image to one size, in milliseconds.",
    unit="millisecond",
)
FAILURES = Counter(
    "screen_resize.failures",
    tags=("reason",),
    description="Requests that produced no output, by reason: bad_request, missing_object, bad_image, "
    "upload_failed. The failure rate is failures / requests.",
    unit="count",
)
