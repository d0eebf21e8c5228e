"""The metric catalogue: loading declared metrics from a module or a file, and every way it can fail."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitors import ConfigErrors, load_config
from monitors.catalog import (
    Catalog,
    CatalogError,
    MetricInfo,
    collect,
    format_catalog,
    instrument_metrics,
    load_catalog,
)
from monitors.cli import main

DATA = Path(__file__).parent / "data" / "catalog"


@pytest.fixture(autouse=True)
def forget_imported_catalogs() -> Iterator[None]:
    """Modules a test imports from tmp_path must not leak into the next test under the same name."""
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith(("cat_", "_lambda_monitors_catalog_")):
            del sys.modules[name]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def config_with(tmp_path: Path, catalog: str, extra: str = "") -> Path:
    return write(
        tmp_path,
        "monitors.yaml",
        f"""
        service: svc
        functions:
          - {{name: fn, timeout_s: 10}}
        catalog: {catalog}
        {extra}
        """,
    )


# ------------------------------------------------------------------------------------------ loading


def test_a_module_next_to_the_config_is_imported_by_dotted_name() -> None:
    catalog = load_catalog("resize_metrics", DATA)
    assert catalog.source == "resize_metrics"
    assert list(catalog) == [
        "resize.images",
        "resize.failures",
        "resize.queue_depth",
        "resize.resize_ms",
        "resize.pipeline",
    ]
    assert catalog["resize.failures"] == MetricInfo(
        name="resize.failures",
        type="count",
        tag_keys=("format", "reason"),
        description="Images that produced no output, by format and reason.",
        unit="count",
        attribute="FAILURES",
    )
    assert [catalog[n].type for n in catalog] == ["count", "count", "gauge", "histogram", "check"]
    assert catalog["resize.resize_ms"].unit == "millisecond"


def test_the_config_file_directory_is_on_sys_path_only_during_the_import() -> None:
    config = load_config(DATA / "service.yaml")
    assert config.metrics is not None and "resize.images" in config.metrics
    assert str(DATA.resolve()) not in sys.path


def test_a_path_to_a_py_file_is_resolved_against_the_config_directory(tmp_path: Path) -> None:
    write(
        tmp_path, "handlers/metrics.py", "import lambda_metrics as lm\nHITS = lm.Counter('svc.hits', tags=('route',))\n"
    )
    config = load_config(config_with(tmp_path, "handlers/metrics.py"))
    assert config.metrics is not None
    assert config.metrics["svc.hits"].tag_keys == ("route",)


def test_a_package_module_in_the_repository_is_imported_from_the_working_directory() -> None:
    catalog = load_catalog("examples.screen_resize.metrics", DATA)  # cwd is the repository root
    assert "screen_resize.failures" in catalog


def test_instrument_metrics_describe_what_instrument_writes() -> None:
    names = [m.name for m in instrument_metrics("screen_resize")]
    assert names == [
        "screen_resize.invocations",
        "screen_resize.duration",
        "screen_resize.cold_starts",
        "screen_resize.errors",
        "screen_resize.timeouts",
    ]
    assert all("function_name" in m.tag_keys for m in instrument_metrics())


def test_collect_refuses_one_name_declared_twice_differently(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cat_twice.py",
        """
        import lambda_metrics as lm
        A = lm.Counter("svc.x", tags=("k",))
        B = lm.Gauge("svc.x")
        """,
    )
    with pytest.raises(
        CatalogError, match=r"'svc.x' is declared twice differently \(A: count \['k'\], B: gauge \[\]\)"
    ):
        load_catalog(str(path))


def test_a_metric_bound_with_tagged_is_the_same_metric(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "cat_tagged.py",
        """
        import lambda_metrics as lm
        IMAGES = lm.Counter("svc.images", tags=("format", "size"), description="Images")
        PNG = IMAGES.tagged(format="png")
        PNG_SMALL = PNG.tagged(size="small")
        """,
    )
    catalog = load_catalog(str(path))
    assert [(m.name, m.tag_keys, m.attribute) for m in catalog.metrics] == [
        ("svc.images", ("format", "size"), "IMAGES")]


def test_the_catalog_is_a_read_only_mapping() -> None:
    catalog = Catalog("x", (MetricInfo("a.b", "count"),))
    assert dict(catalog) == {"a.b": MetricInfo("a.b", "count")}
    assert catalog.get("nope") is None
    assert len(catalog) == 1


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("files", "reference", "reason"),
    [
        pytest.param(
            {}, "cat_missing", "cannot import: ModuleNotFoundError: No module named 'cat_missing'", id="missing"
        ),
        pytest.param(
            {"cat_syntax.py": "X = (\n"},
            "cat_syntax",
            "cannot import: SyntaxError: '(' was never closed (cat_syntax.py, line 1)",
            id="syntax-error",
        ),
        pytest.param(
            {"cat_raises.py": "raise RuntimeError('no AWS credentials at import time')\n"},
            "cat_raises",
            "cannot import: RuntimeError: no AWS credentials at import time",
            id="raises-on-import",
        ),
        pytest.param(
            {"cat_empty.py": "X = 1\n"},
            "cat_empty",
            "declares no metrics (expected module attributes such as Counter(...))",
            id="no-metrics",
        ),
        pytest.param({}, "nope/metrics.py", "no such file: ", id="missing-file"),
        pytest.param(
            {}, "not a module!", "expected a dotted module name (pkg.metrics) or a path to a .py file", id="bad-name"
        ),
        pytest.param(
            {"cat_bad_decl.py": "import lambda_metrics as lm\nX = lm.Counter('9bad')\n"},
            "cat_bad_decl",
            "cannot import: MetricError: ",
            id="invalid-declaration",
        ),
    ],
)
def test_catalog_problems_are_config_errors_on_the_catalog_key(
    tmp_path: Path, files: dict[str, str], reference: str, reason: str
) -> None:
    for name, text in files.items():
        write(tmp_path, name, text)
    path = config_with(tmp_path, f"'{reference}'")
    with pytest.raises(ConfigErrors) as caught:
        load_config(path)
    (error,) = caught.value.errors
    assert (error.file, error.line, error.path) == (str(path), 4, "catalog")
    assert error.message.startswith(reason)
    assert "Traceback" not in str(error)


def test_custom_monitors_without_a_catalog_are_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "monitors.yaml",
        """
        service: svc
        functions: [{name: fn, timeout_s: 10}]
        custom:
          - {name: X, metric: svc.x, critical: 1}
        """,
    )
    with pytest.raises(ConfigErrors, match=r"monitors.yaml:4: custom\[0\].metric: custom monitors refer to declared "):
        load_config(path)


def test_a_broken_catalog_does_not_also_report_every_custom_metric(tmp_path: Path) -> None:
    path = config_with(tmp_path, "cat_missing", "custom: [{name: X, metric: svc.x, critical: 1}]")
    with pytest.raises(ConfigErrors) as caught:
        load_config(path)
    assert [e.path for e in caught.value.errors] == ["catalog"]


# --------------------------------------------------------------------------------------------- CLI


def test_metrics_command_lists_every_declared_metric(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(DATA / "service.yaml")]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "5 metrics declared in resize_metrics"
    assert "  resize.failures     count      unit count        tags format, reason" in out
    assert "Overall health of the resize pipeline." in out


def test_metrics_command_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(DATA / "service.yaml"), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[3] == {
        "name": "resize.resize_ms",
        "type": "histogram",
        "tag_keys": ["size"],
        "description": "Time to resize and encode one image to one size.",
        "unit": "millisecond",
    }


def test_metrics_command_without_catalog_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "monitors.yaml", "service: svc\nfunctions: [{name: fn, timeout_s: 10}]\n")
    assert main(["metrics", str(path)]) == 1
    assert "no 'catalog:'" in capsys.readouterr().err


def test_metrics_command_reports_an_import_error_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_with(tmp_path, "cat_missing")
    assert main(["metrics", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4: catalog: cannot import: ModuleNotFoundError" in err
    assert "Traceback" not in err


def test_format_catalog_aligns_columns() -> None:
    text = format_catalog(
        Catalog("m", (MetricInfo("a.b", "count"), MetricInfo("a.longer", "gauge", ("k",), "D", "byte")))
    )
    assert text.splitlines() == [
        "2 metrics declared in m",
        "",
        "  a.b       count      unit -            tags -",
        "  a.longer  gauge      unit byte         tags k",
        "            D",
    ]


def test_collect_reads_module_attributes_only() -> None:
    import types

    import lambda_metrics as lm

    module = types.ModuleType("cat_inline")
    module.A = lm.Histogram("inline.a", unit="second")  # type: ignore[attr-defined]
    lm.Counter("inline.not_an_attribute")
    assert list(collect(module)) == ["inline.a"]


def test_a_dotted_catalog_is_found_from_the_package_root_above_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`catalog: shop.lambdas.metrics` in shop/lambdas/monitors.yaml works wherever the command runs."""
    package = tmp_path / "shop_pkg_x" / "lambdas"
    package.mkdir(parents=True)
    (tmp_path / "shop_pkg_x" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "metrics.py").write_text(
        "from lambda_metrics import Counter\nORDERS = Counter('shop.orders', tags=('kind',))\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    catalog = load_catalog("shop_pkg_x.lambdas.metrics", base_dir=package)
    assert list(catalog) == ["shop.orders"]
    assert str(tmp_path) not in sys.path  # the import path is restored
