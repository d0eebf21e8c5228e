"""Pure encoders: one module per output format, each a function from a Metric to text.

``monitoring`` and ``datadog_json`` are imported eagerly (they are tiny and import nothing);
``emf`` is imported only when that format is selected, since it needs :mod:`json`.
"""
