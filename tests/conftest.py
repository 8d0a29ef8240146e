"""Test harness: the demo personas and scope objects in every test database, verified clients, query counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi import demo

# Hashing the personas' passwords with PBKDF2 costs seconds per test database; tests use MD5.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Every test database starts with the demo program: personas and the shared scope objects."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    with django_db_blocker.unblock():
        demo.build_demo()


@pytest.fixture(scope="session", autouse=True)
def _media_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploads made by tests (photos, consent documents) never land in the real media folder."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    """Personas by username and scope objects by name (rebuilt if a transactional test flushed them)."""
    return demo.build_demo()


@pytest.fixture
def scope(world: dict[str, Any]) -> dict[str, Any]:
    """The permission matrix's shared objects (tests/matrix.py): demo personas and persons, plus what the shell
    rows need."""
    from gvi.accounts.services import api_token_issue

    token, _raw = api_token_issue(actor=world["petra"], name="matrix", session_verified=True)
    return {**world, "petra_token": token}


@pytest.fixture
def verified_client(world: dict[str, Any]) -> Callable[[str], Client]:
    """A logged-in, OTP-verified client for a persona."""

    def make(username: str) -> Client:
        client = Client()
        user = world[username]
        client.force_login(user)
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return make


@pytest.fixture
def as_user(verified_client: Callable[[str], Client]) -> Callable[[str], Client]:
    """A persona's verified client that asks for English, so messages can be compared as written."""

    def make(username: str) -> Client:
        client = verified_client(username)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def as_api_user(as_user: Callable[[str], Client]) -> Callable[[str], Client]:
    """Like `as_user`, but a server error comes back as a 500 response instead of raising: API tests assert
    that bad input never gives one."""

    def make(username: str) -> Client:
        client = as_user(username)
        client.raise_request_exception = False
        return client

    return make


@contextmanager
def max_queries(limit: int) -> Iterator[CaptureQueriesContext]:
    """Assert that the block runs at most `limit` queries (and show them when it does not)."""
    with CaptureQueriesContext(connection) as captured:
        yield captured
    count = len(captured.captured_queries)
    assert count <= limit, f"{count} queries (limit {limit}):\n" + "\n".join(
        q["sql"] for q in captured.captured_queries
    )


def api_list_counts(
    as_user: Callable[[str], Client], lists: list[tuple[str, str]], limit: int
) -> dict[str, tuple[int, int]]:
    """For each (persona, API list URL): the queries a warm request runs (at most `limit`) and the rows it
    returns. Compared before and after adding data, it shows that a list's cost does not grow with it."""
    found = {}
    for name, url in lists:
        client = as_user(name)
        client.get(url)  # warm caches (sessions, permission ids)
        with max_queries(limit) as captured:
            response = client.get(url)
        assert response.status_code == 200
        found[f"{name} {url}"] = (len(captured.captured_queries), len(response.json()["results"]))
    return found


@pytest.fixture
def query_budget() -> Callable[[int], Any]:
    return max_queries


def requires_postgres() -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL (set DATABASE_URL); SQLite has no triggers of this kind",
    )
