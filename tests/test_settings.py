"""One settings module, configured from the environment: an operator sets DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS and gets a production-grade configuration; a laptop with nothing set and DEBUG
on gets SQLite under var/. Settings are read in child processes with an environment built from
scratch, so nothing leaks in from pytest's own environment (DEBUG, SECURE_SSL_REDIRECT=false,
STATIC_MANIFEST=false, PYTEST_XDIST_WORKER, DATABASE_URL ...)."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT = 120

SHOW_SETTINGS = """
import django, json, os
os.environ['DJANGO_SETTINGS_MODULE'] = 'gvi.settings'
django.setup()
from django.conf import settings as s
print(json.dumps({
    'DEBUG': s.DEBUG,
    'SECRET_KEY': s.SECRET_KEY,
    'ENGINE': s.DATABASES['default']['ENGINE'],
    'DB_NAME': str(s.DATABASES['default']['NAME']),
    'DB_HOST': s.DATABASES['default']['HOST'],
    'DB_PORT': s.DATABASES['default']['PORT'],
    'DB_USER': s.DATABASES['default']['USER'],
    'ALLOWED_HOSTS': s.ALLOWED_HOSTS,
    'CACHE_BACKEND': s.CACHES['default']['BACKEND'],
    'CACHE_LOCATION': s.CACHES['default'].get('LOCATION', ''),
    'CELERY_BROKER_URL': s.CELERY_BROKER_URL,
    'CELERY_TASK_ALWAYS_EAGER': s.CELERY_TASK_ALWAYS_EAGER,
    'SECURE_SSL_REDIRECT': s.SECURE_SSL_REDIRECT,
    'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE,
    'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE,
    'SECURE_HSTS_SECONDS': s.SECURE_HSTS_SECONDS,
    'STATICFILES_BACKEND': s.STORAGES['staticfiles']['BACKEND'],
    'DEMO_MODE': s.DEMO_MODE,
}))
"""


def child_env(**variables: str) -> dict[str, str]:
    """An environment built from scratch: only what a process needs to run, plus `variables`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        **variables,
    }
    for inherited in (
        "PYTEST_XDIST_WORKER",
        "SECURE_SSL_REDIRECT",
        "STATIC_MANIFEST",
        "DATABASE_URL",
        "DJANGO_SETTINGS_MODULE",
    ):
        if inherited not in variables:
            assert inherited not in env
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def read_settings(**variables: str) -> dict[str, Any]:
    result = run([sys.executable, "-c", SHOW_SETTINGS], child_env(**variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_secret_key() -> str:
    alphabet = string.ascii_letters + string.digits + "!#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(60))


# --------------------------------------------------------------------------------------------------
# (a) settings read the environment


def test_operator_configures_production_entirely_from_the_environment() -> None:
    values = read_settings(
        DEBUG="false",
        SECRET_KEY="operator-secret-key-" + "k" * 40,
        DATABASE_URL="postgres://u:p@h:5432/db",
        ALLOWED_HOSTS="a.example,b.example",
        REDIS_URL="redis://r:6379/0",
    )
    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == "operator-secret-key-" + "k" * 40
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert (values["DB_HOST"], values["DB_PORT"], values["DB_NAME"], values["DB_USER"]) == ("h", 5432, "db", "u")
    assert values["ALLOWED_HOSTS"] == ["a.example", "b.example"]
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHE_LOCATION"] == "redis://r:6379/0"
    assert values["CELERY_BROKER_URL"] == "redis://r:6379/0"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    # DEBUG off means production-grade defaults.
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["STATICFILES_BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert values["DEMO_MODE"] is False


def test_production_refuses_to_start_without_a_secret_key() -> None:
    serve = "import gvi.wsgi"
    result = run([sys.executable, "-c", serve], child_env(DEBUG="false", ALLOWED_HOSTS="a.example"))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_deploy_check_fails_without_a_secret_key() -> None:
    env = child_env(DEBUG="false", ALLOWED_HOSTS="a.example")
    result = run([sys.executable, "manage.py", "check", "--deploy"], env)
    assert result.returncode != 0
    assert "gvi.E001" in result.stderr + result.stdout


def test_management_commands_run_without_a_secret_key() -> None:
    """A fresh checkout can run makemigrations --check with nothing set."""
    env = child_env(DEBUG="false")
    result = run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], env)
    assert result.returncode == 0, result.stderr


def test_a_laptop_with_debug_on_and_nothing_else_set_uses_sqlite_under_var() -> None:
    values = read_settings(DEBUG="true")
    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(values["DB_NAME"]) == BASE_DIR / "var" / "gvi.sqlite3"
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert values["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECRET_KEY"], "a development key is made up when DEBUG is on"


def test_a_misspelt_boolean_is_refused_rather_than_guessed() -> None:
    result = run([sys.executable, "-c", SHOW_SETTINGS], child_env(DEBUG="ture", SECRET_KEY="x" * 50))
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_each_xdist_worker_gets_its_own_redis_database() -> None:
    values = read_settings(DEBUG="true", REDIS_URL="redis://r:6379/0", PYTEST_XDIST_WORKER="gw2")
    assert values["CACHE_LOCATION"] == "redis://r:6379/3"
    assert values["CELERY_BROKER_URL"] == "redis://r:6379/3"


# --------------------------------------------------------------------------------------------------
# (b) the deployment checklist is clean


def test_deploy_check_is_clean_with_a_production_environment(tmp_path: Path) -> None:
    env = child_env(
        DEBUG="false",
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="gvi.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    )
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


# --------------------------------------------------------------------------------------------------
# (c) security headers


@pytest.mark.django_db
@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_login_page_is_served_with_the_security_headers() -> None:
    response = Client().get("/accounts/login/", secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    hsts = response["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts


@pytest.mark.django_db
def test_cookies_set_by_the_login_page_are_secure() -> None:
    response = Client().get("/accounts/login/", secure=True)
    for name, morsel in response.cookies.items():
        assert morsel["secure"], name
        assert morsel["samesite"] in ("Lax", "Strict"), name


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_to_https_when_redirects_are_on() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


# --------------------------------------------------------------------------------------------------
# (d) migrations match the models


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    env = child_env(
        DEBUG="false",
        SECRET_KEY=production_secret_key(),
        ALLOWED_HOSTS="localhost",
        DATABASE_URL=f"sqlite:///{tmp_path / 'makemigrations-check.sqlite3'}",
    )
    result = run([sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
