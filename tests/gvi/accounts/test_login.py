"""Login with password and TOTP, lockout by username, enrolment, session lifetime, API tokens."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin import site as admin_site
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.accounts import services
from gvi.accounts.middleware import LOGIN_AT_SESSION_KEY
from gvi.accounts.models import ApiToken, Role, Staff
from gvi.audit.models import AuditAction, AuditEvent
from gvi.demo import DEMO_PASSWORD, current_totp

LOGIN = "/accounts/login/"


def _login(client: Client, username: str, *, password: str = DEMO_PASSWORD, code: str | None = None) -> Any:
    return client.post(
        LOGIN,
        {"username": username, "password": password, "otp_token": code if code is not None else current_totp(username)},
    )


def test_persona_logs_in_with_password_and_code(world: dict[str, Any]) -> None:
    client = Client()
    response = _login(client, "petra")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(actor_id=world["petra"].pk, action=AuditAction.LOGIN).exists()


def test_login_follows_a_safe_next_only(world: dict[str, Any]) -> None:
    client = Client()
    response = client.post(
        LOGIN + "?next=/persons/",
        {
            "username": "sara",
            "password": DEMO_PASSWORD,
            "otp_token": current_totp("sara"),
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("home")


def test_right_password_wrong_code_is_refused_and_counted(world: dict[str, Any]) -> None:
    client = Client()
    wrong = f"{(int(current_totp('petra')) + 1) % 1_000_000:06d}"
    response = _login(client, "petra", code=wrong)
    assert response.status_code == 200
    assert "wrong" in response.content.decode().lower() or "fel" in response.content.decode().lower()
    assert client.get("/").status_code == 302
    failed = AuditEvent.objects.get(actor_username="petra", action=AuditAction.LOGIN_FAILED)
    # Filed under Petra's program: the auditor's log follow-up must see it.
    assert failed.program_id == world["petra"].program_id


def test_a_code_cannot_be_used_twice(world: dict[str, Any]) -> None:
    code = current_totp("anders")
    assert _login(Client(), "anders", code=code).status_code == 302
    assert _login(Client(), "anders", code=code).status_code == 200


def test_missing_code_for_enrolled_user_is_refused(world: dict[str, Any]) -> None:
    response = _login(Client(), "sara", code="")
    assert response.status_code == 200


def test_six_bad_logins_lock_the_username_not_the_office_ip(world: dict[str, Any]) -> None:
    office = Client(REMOTE_ADDR="10.1.2.3")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        _login(office, "karin", password="wrong password", code="000000")
    # The sixth try, now with the right password and code, is refused: the username is locked.
    locked = _login(office, "karin")
    assert locked.status_code == 403
    assert office.get("/").status_code == 302
    lockouts = AuditEvent.objects.filter(actor_username="karin", action=AuditAction.LOCKOUT)
    # Filed under Karin's program, so that its auditor sees them.
    assert {event.program_id for event in lockouts} == {world["karin"].program_id}
    # A colleague at the same office address logs in as usual.
    colleague = Client(REMOTE_ADDR="10.1.2.3")
    assert _login(colleague, "sara").status_code == 302


def test_lockout_page_does_not_reveal_whether_a_username_exists(world: dict[str, Any]) -> None:
    client = Client()
    for username in ("karin", "no-such-user"):
        for _attempt in range(settings.AXES_FAILURE_LIMIT):
            _login(client, username, password="wrong password", code="000000")
    assert (
        _login(client, "karin", password="x").status_code
        == _login(client, "no-such-user", password="x").status_code
        == 403
    )


def test_first_login_enrols_a_totp_device(world: dict[str, Any]) -> None:
    newcomer = Staff.objects.create(
        username="newcomer",
        role=Role.SOCIAL_WORKER,
        program=world["sara"].program,
        agency=world["sara"].agency,
        team=world["sara"].team,
    )
    newcomer.set_password("a long enough password 1")
    newcomer.save()
    client = Client()
    response = client.post(LOGIN, {"username": "newcomer", "password": "a long enough password 1", "otp_token": ""})
    assert response["Location"] == reverse("accounts:enrol")
    # Before enrolment every page leads back to the enrolment.
    assert client.get("/persons/")["Location"] == reverse("accounts:enrol")
    page = client.get(reverse("accounts:enrol"))
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    code = f"{TOTP(device.bin_key, step=30, t0=0, digits=6).token():06d}"
    assert client.post(reverse("accounts:enrol"), {"otp_token": "123"}).status_code == 200
    response = client.post(reverse("accounts:enrol"), {"otp_token": code})
    assert response["Location"] == reverse("home")
    assert client.get("/persons/").status_code == 200
    assert AuditEvent.objects.filter(actor_id=newcomer.pk, action=AuditAction.MFA_ENROL).exists()


def test_enrolled_user_cannot_reach_enrolment_to_replace_the_device(
    verified_client: Any, world: dict[str, Any]
) -> None:
    assert verified_client("petra").get(reverse("accounts:enrol")).status_code == 404
    unverified = Client()
    unverified.force_login(world["petra"])
    assert unverified.get(reverse("accounts:enrol"))["Location"].startswith(LOGIN)


def test_logout_ends_every_session_of_the_user(verified_client: Any) -> None:
    laptop, desktop = verified_client("sara"), verified_client("sara")
    assert desktop.get("/").status_code == 200
    assert laptop.post(reverse("accounts:logout")).status_code == 302
    assert desktop.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_logout_needs_post(verified_client: Any) -> None:
    client = verified_client("sara")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get("/").status_code == 200


def test_deactivation_ends_sessions_and_tokens(verified_client: Any, world: dict[str, Any]) -> None:
    client = verified_client("anders")
    _token, raw = services.api_token_issue(actor=world["anders"], name="t", session_verified=True)
    services.staff_deactivate(actor=world["ada"], staff=world["anders"])
    assert client.get("/").status_code == 302
    assert Client().get("/api/persons/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_only_an_admin_resets_a_device(world: dict[str, Any]) -> None:
    with pytest.raises(Http404):
        services.staff_mfa_reset(actor=world["petra"], staff=world["anders"])
    services.staff_mfa_reset(actor=world["ada"], staff=world["anders"])
    assert not TOTPDevice.objects.filter(user=world["anders"]).exists()
    assert AuditEvent.objects.filter(
        actor_id=world["ada"].pk, action=AuditAction.MFA_RESET, object_id=str(world["anders"].pk)
    ).exists()


def test_login_ends_after_twelve_hours_however_active(verified_client: Any) -> None:
    client = verified_client("erik")
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - settings.SESSION_ABSOLUTE_SECONDS - 1
    session.save()
    assert client.get("/").status_code == 302


def test_idle_timeout_is_thirty_minutes() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_REFRESH_SECONDS == 60


def _session_writes(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return sum(1 for query in captured.captured_queries if query["sql"].startswith('UPDATE "django_session"'))


def test_an_active_session_goes_on_and_an_idle_one_ends_after_thirty_minutes(verified_client: Any) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = verified_client("erik")
        assert _session_writes(client) == 1  # first request: activity written
        traveller.shift(timedelta(seconds=30))
        assert _session_writes(client) == 0  # within a minute of the last write: no write
        for _ in range(4):  # a request every 20 minutes keeps it alive for 80 minutes
            traveller.shift(timedelta(minutes=20))
            assert _session_writes(client) == 1
        traveller.shift(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        traveller.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


class TestApiTokens:
    def test_token_from_verified_session_works_until_revoked(self, verified_client: Any, world: dict[str, Any]) -> None:
        client = verified_client("petra")
        page = client.post(reverse("accounts:api-tokens"), {"name": "integration"})
        assert page.status_code == 200
        token = ApiToken.objects.get(user=world["petra"], name="integration")
        raw = page.context["new_token"]
        assert ApiToken.digest_of(raw) == token.digest
        api = Client()
        assert api.get("/api/persons/", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
        client.post(reverse("accounts:api-token-revoke", args=[token.pk]))
        assert api.get("/api/persons/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401

    def test_expired_token_is_refused(self, world: dict[str, Any]) -> None:
        token, raw = services.api_token_issue(actor=world["petra"], name="old", session_verified=True)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert Client().get("/api/persons/", headers={"Authorization": f"Bearer {raw}"}).status_code == 401

    def test_no_token_without_a_verified_session(self, world: dict[str, Any]) -> None:
        with pytest.raises(Http404):
            services.api_token_issue(actor=world["petra"], name="x", session_verified=False)

    def test_token_is_stored_as_a_digest_only(self, world: dict[str, Any]) -> None:
        token, raw = services.api_token_issue(actor=world["petra"], name="x", session_verified=True)
        stored = ApiToken.objects.filter(pk=token.pk).values().get()
        assert raw not in str(stored)

    def test_someone_elses_token_cannot_be_revoked(self, verified_client: Any, world: dict[str, Any]) -> None:
        token, _raw = services.api_token_issue(actor=world["petra"], name="x", session_verified=True)
        assert verified_client("anders").post(reverse("accounts:api-token-revoke", args=[token.pk])).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None


class TestApiNeedsMfa:
    def test_anonymous_gets_401(self, world: dict[str, Any]) -> None:
        assert Client().get("/api/persons/").status_code == 401

    def test_unverified_session_gets_403(self, world: dict[str, Any]) -> None:
        client = Client()
        client.force_login(world["petra"])
        assert client.get("/api/persons/").status_code == 403

    def test_bad_token_header_gets_401(self, world: dict[str, Any]) -> None:
        assert Client().get("/api/persons/", headers={"Authorization": "Bearer"}).status_code == 401
        assert Client().get("/api/persons/", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_admin_site_is_for_the_admin_role_only(verified_client: Any) -> None:
    assert verified_client("ada").get("/admin/").status_code == 200
    for persona in ("petra", "sara", "olof", "lena"):
        response = verified_client(persona).get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_no_case_data_is_registered_in_the_admin() -> None:
    case_apps = {"cases", "outreach", "interventions", "reports", "mapping", "audit"}
    registered = {model._meta.app_label for model in admin_site._registry}
    assert not registered & case_apps
