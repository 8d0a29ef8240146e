"""The definition of done, enforced in CI: ruff, ruff format, mypy; and a test run that starts from fresh databases."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBUG": "true"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_check_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = _run(str(BIN / "mypy"), ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_run_creates_its_test_databases_afresh() -> None:
    """A reused test database carries an earlier run's state: a transactional test's flush has emptied the rows
    that migrations wrote (the beat schedule), and its demo reports point at PDFs in that run's temporary media
    folder. The last CI failure of issue 12 was exactly that, so the suite must never reuse one by default."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--reuse-db" not in config["addopts"].split()
    assert "--reuse-db" not in (ROOT / "Makefile").read_text()
