"""The screen-resize pipeline: S3 (or SNS) -> resize with Pillow -> permanent S3 bucket -> SQS.

``handler.py`` is the Lambda function, ``metrics.py`` the metrics it declares (also the ``catalog:``
of ``monitors.yaml``), ``emulate.py`` seeds an emulated AWS for ``lambda-metrics invoke --emulate-aws``,
and ``events/`` holds sample events. See "The worked example" in README.md.
"""
