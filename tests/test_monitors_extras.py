"""Without the [monitors] extra the CLI says what to install, instead of a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "screen_resize" / "monitors.yaml"


def test_missing_pyyaml_is_a_one_line_instruction() -> None:
    code = (
        "import sys; sys.modules['yaml'] = None\n"
        "from monitors.cli import main\n"
        f"sys.exit(main(['validate', {str(EXAMPLE)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "'PyYAML' is not installed" in done.stderr
    assert "pip install 'lambda-metrics[monitors]'" in done.stderr
