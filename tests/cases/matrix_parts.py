"""Permission-matrix rows for the parts of a person record: photo, aliases, guardians, consents.

Sami (malmo_minor_person) is Sara's record: Sara (her team) and Erik (exit coordinator, the whole
municipality) may see and change it and its parts; nobody else, not the other program, not the program
lead, the auditor or the admin. Rows that remove something act on a fresh object or a fresh state: each
matrix case runs in its own transaction.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import services
from cases.models import Consent, Person
from tests.cases.matrix import PERSON_SUBJECTS, SEES
from tests.matrix import OK, Row, only, register

# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = ("malmo_minor_person", "malmo_minor_consent", "malmo_probation_person")

MINOR = "malmo_minor_person"
CONSENT = "malmo_minor_consent"
SAMI_SEEN_BY = only({"sara": OK, "erik": OK})

# Files the download rows serve. Stored once under fixed names (the rows run in transactions, but storage
# is not transactional), and named on the record by an update, so no row leaves a new file behind.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n% matrix test document\n%%EOF\n"


def _stored(name: str, content: bytes) -> str:
    return name if default_storage.exists(name) else default_storage.save(name, ContentFile(content))


def _with_photo(world: dict[str, Any], subject: str) -> dict[str, Any]:
    person = world[subject]
    Person.objects.filter(pk=person.pk).update(photo=_stored("matrix/photo.png", PNG))
    return {"pk": person.pk}


def _with_document(world: dict[str, Any]) -> dict[str, Any]:
    consent = world[CONSENT]
    Consent.objects.filter(pk=consent.pk).update(document=_stored("matrix/consent.pdf", PDF))
    return {"pk": consent.pk}


def _sami_alias(world: dict[str, Any]) -> dict[str, Any]:
    return {"pk": world[MINOR].aliases.get(name="Sam").pk}


def _sami_guardian(world: dict[str, Any]) -> dict[str, Any]:
    return {"pk": world[MINOR].guardians.get(name="Lina Nordström").pk}


def _removable_guardian(world: dict[str, Any]) -> dict[str, Any]:
    """A guardian without a consent (Lina consented, so she stays on record), added as Sara."""
    guardian = services.guardian_add(actor=world["sara"], person=world[MINOR], name="Test Guardian", relation="father")
    return {"pk": guardian.pk}


def _consent_data(world: dict[str, Any]) -> dict[str, Any]:
    sami = world[MINOR]
    return {
        "given_on": timezone.localdate().isoformat(),
        "recipients": [world["petra"].agency_id, world["karin"].agency_id],
        "subjects": ["identity"],
        "guardians": [sami.guardians.get(name="Lina Nordström").pk],
        "note": "Matrix",
    }


register(
    Row("cases:person-photo", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=partial(_with_photo, subject=MINOR)),
    # Petra's team holds an identity share of Karin's record of Adam: the identity only, never the photo.
    Row(
        "cases:person-photo",
        "GET",
        "malmo_probation_person",
        only({"karin": OK}),
        url_kwargs=partial(_with_photo, subject="malmo_probation_person"),
    ),
    Row("cases:person-photo-edit", "GET", MINOR, SAMI_SEEN_BY),
    Row("cases:person-photo-edit", "POST", MINOR, SAMI_SEEN_BY, data=lambda w: {"remove": "1"}),
    Row("cases:alias-add", "GET", MINOR, SAMI_SEEN_BY),
    Row("cases:alias-add", "POST", MINOR, SAMI_SEEN_BY, data=lambda w: {"name": "Sammy", "kind": "nickname"}),
    Row("cases:alias-remove", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_sami_alias),
    Row("cases:alias-remove", "POST", MINOR, SAMI_SEEN_BY, url_kwargs=_sami_alias),
    Row("cases:guardian-add", "GET", MINOR, SAMI_SEEN_BY),
    Row(
        "cases:guardian-add",
        "POST",
        MINOR,
        SAMI_SEEN_BY,
        data=lambda w: {"name": "Ali Nordström", "relation": "father", "phone": "", "email": "", "address": ""},
    ),
    Row("cases:guardian-remove", "GET", MINOR, SAMI_SEEN_BY, url_kwargs=_sami_guardian),
    Row("cases:guardian-remove", "POST", MINOR, SAMI_SEEN_BY, url_kwargs=_removable_guardian),
    Row("cases:consent-create", "GET", MINOR, SAMI_SEEN_BY),
    Row("cases:consent-create", "POST", MINOR, SAMI_SEEN_BY, data=_consent_data),
    Row("cases:consent-detail", "GET", CONSENT, SAMI_SEEN_BY),
    Row("cases:consent-document", "GET", CONSENT, SAMI_SEEN_BY, url_kwargs=_with_document),
    Row("cases:consent-revoke", "GET", CONSENT, SAMI_SEEN_BY),
    Row("cases:consent-revoke", "POST", CONSENT, SAMI_SEEN_BY, data=lambda w: {"revoked_on": ""}),
)

# The add pages of every agency's record follow the same grants as the record itself.
for subject in PERSON_SUBJECTS:
    allowed = only(dict.fromkeys(SEES[subject], OK))
    register(
        Row("cases:alias-add", "GET", subject, allowed),
        Row("cases:consent-create", "GET", subject, allowed),
    )
