"""Deployment files: the compose file is valid and .env.example documents every setting."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV_HELPERS = {"env_bool", "env_int", "env_list"}
# Read by settings.py but set by tools, never by whoever deploys.
NOT_DEPLOYMENT_SETTINGS = {"PYTEST_XDIST_WORKER"}


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def settings_env_names() -> set[str]:
    """Names read by settings.py: os.environ.get/[...], os.getenv and the env_* helpers."""
    tree = ast.parse((ROOT / "gvi" / "settings.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        key: ast.AST | None = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            if (
                (isinstance(func, ast.Name) and func.id in ENV_HELPERS)
                or (isinstance(func, ast.Attribute) and func.attr == "get" and _is_os_environ(func.value))
                or (
                    isinstance(func, ast.Attribute)
                    and func.attr == "getenv"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "os"
                )
            ):
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def env_example_names() -> set[str]:
    """Variables in .env.example, set or commented out (`# NAME=...` keeps the default)."""
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^[ \t]*(?:#[ \t]*)?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_docker_compose_matches_compose_spec() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(ROOT / "docker-compose.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_setting_variable() -> None:
    used = settings_env_names()
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"} <= used  # the parser finds them
    missing = sorted(used - NOT_DEPLOYMENT_SETTINGS - env_example_names())
    assert not missing, f".env.example lacks: {', '.join(missing)}"
