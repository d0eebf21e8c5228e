"""What a regular (non-editable) install ships: every package and subpackage, py.typed, entry points."""

from __future__ import annotations

import sys
from fnmatch import fnmatch
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI (the dev extra installs it)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _packages(top: str) -> list[str]:
    modules = [path for path in (ROOT / top).rglob("*.py") if "__pycache__" not in path.parts]
    return sorted(".".join(path.parent.relative_to(ROOT).parts) for path in modules)


def test_every_module_folder_is_a_package_that_the_build_includes() -> None:
    include = PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    for top in ("lambda_metrics", "monitors"):
        for package in set(_packages(top)):
            folder = ROOT.joinpath(*package.split("."))
            assert (folder / "__init__.py").is_file(), f"{folder} has modules but no __init__.py"
            assert any(fnmatch(package, pattern) for pattern in include), f"{package} would not be installed"


def test_typed_markers_and_entry_points() -> None:
    assert (ROOT / "lambda_metrics" / "py.typed").is_file() and (ROOT / "monitors" / "py.typed").is_file()
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    assert data == {"lambda_metrics": ["py.typed"], "monitors": ["py.typed"]}
    project = PYPROJECT["project"]
    assert project["dependencies"] == []  # the runtime has no third-party dependency
    assert project["scripts"] == {
        "lambda-monitors": "monitors.cli:main",
        "lambda-metrics": "lambda_metrics.__main__:main",
    }
    assert project["entry-points"]["pytest11"] == {"lambda_metrics": "lambda_metrics.pytest_plugin"}
