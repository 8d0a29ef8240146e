"""Load test: the three user stories' traffic, against a loopback server only. Run by `make bench`
(gvi/bench/load.py starts gunicorn and this headless, bounded run); pytest only lists its user classes.

Each simulated user logs in through the real login form, with the password and a TOTP code computed from the
account's key, as `manage.py bench` wrote them to the file named by LOCUST_ACCOUNTS. A TOTP code is good once,
so each account logs in once: simulated users that share an account (a small data set has few) share its
session, as one person's browser tabs do.

- Social worker: caseload, person search, exit case page, log a contact (with the form's CSRF token).
- Police coordinator: group list and page, network map (page and its data), call-in page, notification list.
- Program lead: report archive, report page, downloads (PDF, CSV, XLSX).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from collections.abc import Iterator
from datetime import date
from typing import Any

from django_otp.oath import TOTP
from locust import HttpUser, between, task
from locust.exception import StopUser

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/outreach/cases/(\d+)/"')
GROUP_LINK = re.compile(r'href="/mapping/groups/(\d+)/"')
CALL_IN_LINK = re.compile(r'href="/interventions/(\d+)/"')
REPORT_LINK = re.compile(r'href="/reports/(\d+)/"')
DOWNLOAD_LINK = re.compile(r'href="(/reports/\d+/(pdf|csv|xlsx)/)"')
# Parts of common Swedish family names: what a social worker types into the search.
SEARCH_TERMS = ("sson", "berg", "lind", "ström", "ahmed", "ali", "nils", "holm", "ek", "dahl")


def _accounts() -> dict[str, list[dict[str, Any]]]:
    path = os.environ.get("LOCUST_ACCOUNTS", "")
    if not path:
        return {}
    with open(path) as handle:
        accounts: dict[str, list[dict[str, Any]]] = json.load(handle)
    return accounts


ACCOUNTS = _accounts()
_turns: dict[str, Iterator[dict[str, Any]]] = {
    story: itertools.cycle(accounts) for story, accounts in ACCOUNTS.items() if accounts
}
_sessions: dict[str, dict[str, str]] = {}
# locust has gevent patch the threading module, so these locks make greenlets wait, not threads.
_logging_in: dict[str, threading.Lock] = {}


def one_time_code(account: dict[str, Any]) -> str:
    totp = TOTP(bytes.fromhex(account["totp_key"]), step=account["step"], t0=account["t0"], digits=account["digits"])
    return f"{totp.token():0{account['digits']}d}"


def ids(pattern: re.Pattern[str], text: str) -> list[str]:
    return sorted(set(pattern.findall(text)))


class StoryUser(HttpUser):
    """A user of one story: takes the story's next account and logs in (or joins the account's session)."""

    abstract = True
    story = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        if self.story not in _turns:
            raise StopUser(f"no account for the {self.story!r} story in LOCUST_ACCOUNTS")
        account = next(_turns[self.story])
        lock = _logging_in.setdefault(account["username"], threading.Lock())
        with lock:
            shared = _sessions.get(account["username"])
            if shared is None:
                self.log_in(account)
                _sessions[account["username"]] = {c.name: c.value or "" for c in self.client.cookies}
            else:
                for name, value in shared.items():
                    self.client.cookies.set(name, value)

    def log_in(self, account: dict[str, Any]) -> None:
        form = self.client.get("/accounts/login/", name="login form")
        data = {
            "username": account["username"],
            "password": account["password"],
            "otp_token": one_time_code(account),
            "csrfmiddlewaretoken": self.csrf_token(form.text),
        }
        with self.client.post(
            "/accounts/login/", data=data, name="login", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302 and "/accounts/" not in response.headers.get("Location", ""):
                response.success()
            else:
                response.failure(f"login refused for {account['username']} ({response.status_code})")
                raise StopUser

    @staticmethod
    def csrf_token(page: str) -> str:
        found = CSRF_FIELD.search(page)
        return found.group(1) if found else ""


class SocialWorker(StoryUser):
    weight = 3
    story = "social"
    case_ids: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.case_ids = ids(CASE_LINK, self.client.get("/outreach/", name="caseload").text)
        if not self.case_ids:
            self.case_ids = ids(CASE_LINK, self.client.get("/outreach/cases/", name="exit case list").text)

    @task(3)
    def caseload(self) -> None:
        self.client.get("/outreach/", name="caseload")

    @task(3)
    def person_search(self) -> None:
        page = self.client.get("/persons/", name="person list")
        data = {"term": random.choice(SEARCH_TERMS), "csrfmiddlewaretoken": self.csrf_token(page.text)}
        self.client.post("/persons/", data=data, name="person search")

    @task(3)
    def exit_case_page(self) -> None:
        if self.case_ids:
            self.client.get(f"/outreach/cases/{random.choice(self.case_ids)}/", name="/outreach/cases/[id]/")

    @task(1)
    def log_contact(self) -> None:
        """As the case page's form does it: htmx posts the form with its token and gets the saved row back."""
        if not self.case_ids:
            return
        case = random.choice(self.case_ids)
        page = self.client.get(f"/outreach/cases/{case}/", name="/outreach/cases/[id]/")
        data = {
            "csrfmiddlewaretoken": self.csrf_token(page.text),
            "note": "Load test contact.",
            "contact_on": date.today().isoformat(),
            "channel": "meeting",
            "duration_minutes": "30",
            "version": "",
        }
        with self.client.post(
            f"/outreach/cases/{case}/contacts/new/",
            data=data,
            headers={"HX-Request": "true"},
            name="/outreach/cases/[id]/contacts/new/",
            catch_response=True,
        ) as response:
            if response.status_code == 200 and "contactSaved" in response.headers.get("HX-Trigger", ""):
                response.success()
            else:
                response.failure(f"contact not saved ({response.status_code})")


class PoliceCoordinator(StoryUser):
    weight = 2
    story = "police"
    group_ids: list[str]
    call_in_ids: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.group_ids = ids(GROUP_LINK, self.client.get("/mapping/groups/", name="group list").text)
        self.call_in_ids = ids(CALL_IN_LINK, self.client.get("/interventions/", name="call-in list").text)

    @task(3)
    def group_list(self) -> None:
        self.client.get("/mapping/groups/", name="group list")

    @task(3)
    def group_page(self) -> None:
        if self.group_ids:
            self.client.get(f"/mapping/groups/{random.choice(self.group_ids)}/", name="/mapping/groups/[id]/")

    @task(2)
    def network_map(self) -> None:
        self.client.get("/mapping/network/", name="network map")
        self.client.get("/api/mapping/network/", name="network map data")

    @task(2)
    def call_in_page(self) -> None:
        if self.call_in_ids:
            self.client.get(f"/interventions/{random.choice(self.call_in_ids)}/", name="/interventions/[id]/")

    @task(2)
    def notification_list(self) -> None:
        self.client.get("/interventions/notifications/", name="custom notification list")


class ProgramLead(StoryUser):
    weight = 1
    story = "lead"
    report_ids: list[str]

    def on_start(self) -> None:
        super().on_start()
        self.report_ids = ids(REPORT_LINK, self.client.get("/reports/", name="report archive").text)

    @task(3)
    def report_archive(self) -> None:
        self.client.get("/reports/", name="report archive")

    @task(2)
    def report_page(self) -> None:
        if self.report_ids:
            self.client.get(f"/reports/{random.choice(self.report_ids)}/", name="/reports/[id]/")

    @task(1)
    def download(self) -> None:
        """A finished report's page offers its downloads; the lead takes one of them."""
        if not self.report_ids:
            return
        page = self.client.get(f"/reports/{random.choice(self.report_ids)}/", name="/reports/[id]/")
        links = DOWNLOAD_LINK.findall(page.text)
        if links:
            path, kind = random.choice(links)
            self.client.get(path, name=f"/reports/[id]/{kind}/")
