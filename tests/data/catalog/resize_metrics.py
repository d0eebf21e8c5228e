"""The declared metrics of a realistic image-resizing service: the catalogue of service.yaml.

Every type is here: counts (with and without tag keys), a gauge, a histogram and a check.
"""

from __future__ import annotations

from lambda_metrics import Check, Counter, Gauge, Histogram

IMAGES = Counter(
    "resize.images",
    tags=("format",),
    description="Source images resized and delivered, by source format.",
    unit="count",
)
FAILURES = Counter(
    "resize.failures",
    tags=("format", "reason"),
    description="Images that produced no output, by format and reason.",
    unit="count",
)
QUEUE_DEPTH = Gauge(
    "resize.queue_depth",
    tags=("queue",),
    description="Messages waiting in the output queue.",
)
RESIZE_MS = Histogram(
    "resize.resize_ms",
    tags=("size",),
    description="Time to resize and encode one image to one size.",
    unit="millisecond",
)
PIPELINE = Check("resize.pipeline", description="Overall health of the resize pipeline.")

# The same object under a second name is listed once.
ALIAS_OF_IMAGES = IMAGES
# Anything else in the module is ignored.
SIZES = ("1280x800", "640x400")
