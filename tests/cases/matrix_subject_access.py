"""Permission-matrix rows for subject access exports (registerutdrag).

Only the agency that owns a record makes an export of it, and only those who may change the record:
each demo person's export page opens for exactly who may change that person (tests.cases.matrix.SEES).
The demo holds no export, so the rows on one make a draft of Sami's record (Sara's team's: Sara and Erik)
through the service in their own transaction; the download rows mark it released with stored stand-in
files. The API create answers 400 (the person field) to a caseworker who cannot change the person: a result
the matrix does not express, proven per persona in tests/cases/test_subject_access.py.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import services
from cases.models.disclosure import SubjectAccessExport
from tests.cases.matrix import PERSON_SUBJECTS, SEES
from tests.matrix import OK, Row, only, register

MINOR = "malmo_minor_person"
# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = (MINOR,)

SAMI_SEEN_BY = only({"sara": OK, "erik": OK})
CASEWORKERS = ("petra", "anders", "sara", "erik", "karin", "nils")
JSON = "application/json"
PDF = b"%PDF-1.4\n% matrix stand-in\n%%EOF\n"
DATA = b'{"items": []}'


def _today(_world: dict[str, Any]) -> dict[str, Any]:
    return {"requested_on": timezone.localdate().isoformat()}


def _draft(world: dict[str, Any]) -> dict[str, Any]:
    """A draft export of Sami's record, made by Sara; kept in the scope for the If-Match header."""
    export = services.subject_access_create(actor=world["sara"], person=world[MINOR], requested_on=timezone.localdate())
    # Reviewed in full (nothing withheld), so that release may go ahead.
    export = services.subject_access_redact(actor=world["sara"], export=export, version=export.version, redactions={})
    world["matrix_export"] = export
    return {"pk": export.pk}


def _stored(name: str, content: bytes) -> str:
    # Fixed names, stored once: the rows run in transactions, but storage is not transactional.
    return name if default_storage.exists(name) else default_storage.save(name, ContentFile(content))


def _released(world: dict[str, Any], fmt: str | None = None) -> dict[str, Any]:
    kwargs = _draft(world)
    SubjectAccessExport.objects.filter(pk=kwargs["pk"]).update(
        status=SubjectAccessExport.Status.RELEASED,
        released_at=timezone.now(),
        pdf=_stored("matrix/registerutdrag.pdf", PDF),
        data=_stored("matrix/registerutdrag.json", DATA),
    )
    return {**kwargs, "fmt": fmt} if fmt else kwargs


def _if_match(world: dict[str, Any]) -> dict[str, str]:
    export = world["matrix_export"]
    return {"If-Match": f'"{export.pk}-{export.version}"'}


def _create_rows() -> list[Row]:
    rows = []
    for subject in PERSON_SUBJECTS:
        expected = only(dict.fromkeys(SEES[subject], OK))
        rows += [
            Row("cases:subject-access-create", "GET", subject, expected),
            Row("cases:subject-access-create", "POST", subject, expected, data=_today),
        ]
    return rows


register(
    *_create_rows(),
    Row("cases:subject-access-review", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_draft),
    Row(
        "cases:subject-access-review",
        "POST",
        MINOR,
        SAMI_SEEN_BY,
        url_kwargs=_draft,
        data=lambda w: {"version": w["matrix_export"].version},
    ),
    Row("cases:subject-access-release", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_draft),
    Row("cases:subject-access-release", "POST", MINOR, SAMI_SEEN_BY, url_kwargs=_draft),
    Row("cases:subject-access-download", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=partial(_released, fmt="pdf")),
    Row("api:subjectaccessexport-list", "GET", None, only(dict.fromkeys(CASEWORKERS, OK))),
    Row("api:subjectaccessexport-detail", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_draft),
    Row(
        "api:subjectaccessexport-redact",
        "POST",
        MINOR,
        SAMI_SEEN_BY,
        url_kwargs=_draft,
        data=lambda w: {"redactions": {}},
        headers=_if_match,
        content_type=JSON,
    ),
    Row("api:subjectaccessexport-release", "POST", MINOR, SAMI_SEEN_BY, url_kwargs=_draft),
    Row("api:subjectaccessexport-download", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_released),
)
