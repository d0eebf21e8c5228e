"""Worked examples: instrumented Lambda handlers you can run locally with ``lambda-metrics invoke``."""
