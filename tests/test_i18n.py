"""The Swedish catalogue: complete for the current source, fully translated, and used by the pages.

The compiled .mo is not committed (`make messages` builds it); these tests read the committed .po,
so they do not depend on a stale or missing .mo.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "locale" / "sv" / "LC_MESSAGES" / "django.po"

# The ignores used when the catalogue is regenerated (see the hint in the completeness test).
MAKEMESSAGES_IGNORES = (".venv", "node_modules", "staticfiles", "static/vendor", "tests")
# What the temporary copy of the project leaves out: environments, caches, data, tests and the catalogue itself.
COPY_IGNORES = {
    ".venv",
    "node_modules",
    "staticfiles",
    "tests",
    "var",
    "locale",
    ".git",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "test-results",
}

_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


@dataclass
class Entry:
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def translated(self) -> bool:
        if self.msgid_plural is None:
            return bool(self.msgstr.get(0))
        return len(self.msgstr) == 2 and all(self.msgstr.values())


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader: enough for what makemessages writes (no previous-msgid lines are needed)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, target, started
        if started:
            entries.append(current)
        current, target, started = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            current.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("|"):
                continue
        elif line.startswith("#,"):
            if started and target is not None:
                finish()
            current.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        elif line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            value = ast.literal_eval(literal)
            if keyword in {"msgctxt", "msgid"} and started and target is not None and target[0] == "msgstr":
                finish()  # a new entry without a blank line in between
            if not started:
                current.line = number
            started = True
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if line.startswith('"') and target is not None:
            value = ast.literal_eval(line)
            name, slot = target
            if name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            elif name == "msgid":
                current.msgid += value
            elif name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            else:
                current.msgstr[slot] += value
            continue
        raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _messages(path: Path) -> list[Entry]:
    return [entry for entry in parse_po(path) if not entry.obsolete and entry.msgid != ""]


def _header(path: Path) -> Entry:
    headers = [entry for entry in parse_po(path) if entry.msgid == "" and entry.msgctxt is None]
    assert len(headers) == 1, f"{path} has {len(headers)} header entries"
    return headers[0]


def _gettext_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.fail(f"{name} not found; install GNU gettext ('apt-get install gettext').")
    return tool


def _subprocess_env(tmp: Path) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "true", "VAR_DIR": str(tmp / "var")}
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


# --- (a) every entry is translated --------------------------------------------------------------


def test_catalogue_header_is_swedish() -> None:
    header = _header(PO_FILE)
    assert "fuzzy" not in header.flags, "the header is fuzzy: msgfmt would skip the whole catalogue"
    text = header.msgstr[0]
    assert "Language: sv\n" in text
    assert "charset=UTF-8" in text
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in text


def test_every_message_is_translated_and_not_fuzzy() -> None:
    entries = _messages(PO_FILE)
    assert entries, f"{PO_FILE} has no messages"
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in entries if "fuzzy" in e.flags]
    untranslated = [f"line {e.line}: {e.msgid!r}" for e in entries if not e.translated]
    assert not fuzzy, "fuzzy entries (not compiled):\n" + "\n".join(fuzzy)
    assert not untranslated, "untranslated entries:\n" + "\n".join(untranslated)
    duplicates = {e.key for e in entries if sum(1 for other in entries if other.key == e.key) > 1}
    assert not duplicates, f"duplicate entries: {sorted(map(str, duplicates))}"


def test_placeholders_are_kept() -> None:
    placeholder = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
    wrong = []
    for entry in _messages(PO_FILE):
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected = sorted(set(placeholder.findall(sources[-1])) | set(placeholder.findall(sources[0])))
        for translation in entry.msgstr.values():
            if sorted(set(placeholder.findall(translation))) != expected:
                wrong.append(f"line {entry.line}: {entry.msgid!r} -> {translation!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_msgfmt_accepts_the_catalogue(tmp_path: Path) -> None:
    result = subprocess.run(
        [_gettext_tool("msgfmt"), "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "fuzzy" not in output, output
    assert "untranslated" not in output, output
    assert re.search(r"\b\d+ translated message", output), output


# --- (b) the catalogue is complete for the current source -----------------------------------------


def _copy_ignore(directory: str, names: list[str]) -> set[str]:
    ignored = {name for name in names if name in COPY_IGNORES or name.endswith((".pyc", ".mo"))}
    if Path(directory).resolve() == ROOT / "static":
        ignored.add("vendor")
    return ignored


def test_catalogue_has_every_message_of_the_source(tmp_path: Path) -> None:
    """makemessages on a copy of the project (never on the real catalogue) finds nothing new."""
    _gettext_tool("xgettext")
    _gettext_tool("msgmerge")
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=_copy_ignore, symlinks=True)
    (copy / "locale").mkdir()
    args = [sys.executable, "manage.py", "makemessages", "-l", "sv", "--no-obsolete", "--no-location"]
    for pattern in MAKEMESSAGES_IGNORES:
        args.append(f"--ignore={pattern}")
    result = subprocess.run(
        args, cwd=copy, env=_subprocess_env(tmp_path), capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    regenerated = copy / "locale" / "sv" / "LC_MESSAGES" / "django.po"
    assert regenerated.exists(), result.stdout + result.stderr

    committed = {entry.key: entry for entry in _messages(PO_FILE)}
    missing = []
    untranslated = []
    for entry in _messages(regenerated):
        known = committed.get(entry.key)
        if known is None:
            missing.append(repr(entry.msgid) if entry.msgctxt is None else f"{entry.msgctxt!r}: {entry.msgid!r}")
        elif not known.translated or "fuzzy" in known.flags:
            untranslated.append(repr(entry.msgid))
    hint = (
        "\nRun: DEBUG=true .venv/bin/python manage.py makemessages -l sv --no-obsolete "
        + " ".join(f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORES)
        + " and translate the new entries in locale/sv/LC_MESSAGES/django.po"
    )
    assert not missing, "messages missing from the Swedish catalogue:\n" + "\n".join(missing) + hint
    assert not untranslated, "messages not translated:\n" + "\n".join(untranslated) + hint


# --- (c) the pages speak Swedish by default and English on request --------------------------------


@pytest.fixture
def compiled_locale(tmp_path: Path, settings: Settings) -> Path:
    """The committed catalogue compiled into a temporary LOCALE_PATHS (changing it resets the cache)."""
    locale = tmp_path / "locale"
    messages = locale / "sv" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    subprocess.run(
        [_gettext_tool("msgfmt"), "--check", "-o", str(messages / "django.mo"), str(PO_FILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    settings.LOCALE_PATHS = [locale]
    return locale


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_locale")
def test_login_page_is_swedish_by_default() -> None:
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="sv">' in html
    assert "Logga in" in html
    assert "Engångskod" in html
    assert ">Log in<" not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("compiled_locale")
def test_login_page_is_english_with_the_language_cookie(settings: Settings) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "One-time code" in html
    assert "Logga in" not in html
