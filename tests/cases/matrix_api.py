"""Permission-matrix rows for the case-file API: sections and journals, consents, shares, reports of concern,
aliases, guardians and the person photo. The same expectations as the pages.

Creating a record that names a person (a social section, a consent, a share, a report, an alias, a
guardian) answers 400 to a user whose role may create such records but who cannot see the person (Nils,
in the other program): a result the matrix does not express, so those creates are proven per persona in
tests/cases/test_api_case_files.py instead. Creates only one kind of agency may do are rows here.
"""

from __future__ import annotations

from functools import partial
from typing import Any, cast

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from cases import services
from cases.models import Guardian, Person
from tests.matrix import NOT_FOUND, OK, Expected, Row, filtered, only, register

JSON = "application/json"
JSON_BODY: dict[str, Any] = {"content_type": JSON}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%matrix\n"

# Scope objects (names in gvi.demo.build_demo) these rows rely on; test_out_of_scope_objects_exist checks them.
SUBJECTS: tuple[str, ...] = (
    "malmo_police_section",
    "malmo_shared_police_section",
    "malmo_social_section",
    "malmo_field_team_section",
    "malmo_jonas_section",
    "malmo_probation_section",
    "orebro_section",
    "malmo_minor_consent",
    "malmo_minor_person",
    "malmo_police_person",
    "malmo_share",
    "malmo_revoked_share",
    "malmo_concern",
)

# Roles whose table lets them list case-file records at all; the others (Lena, Olof, Ada, Maja) get 404.
CASEWORKERS = ("petra", "anders", "sara", "erik", "karin", "nils")

# section -> (kind, who sees it in full, who sees only its summary)
SECTIONS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "malmo_police_section": ("police", ("petra", "anders"), ()),
    "malmo_shared_police_section": ("police", ("petra", "anders"), ()),
    "malmo_social_section": ("social", ("sara", "erik"), ()),
    "malmo_field_team_section": ("social", ("erik",), ()),
    # Shared with the police on a consent that was revoked: the police see nothing of it.
    "malmo_jonas_section": ("social", ("sara", "erik"), ()),
    "malmo_probation_section": ("probation", ("karin",), ("petra", "anders")),
    "orebro_section": ("social", ("nils",), ()),
}
SECTION_CHANGE = {"police": {"risk_level": "elevated"}, "social": {"notes": "API"}, "probation": {"conditions": "API"}}


def _ok(*names: str) -> dict[str, Expected]:
    return only(dict.fromkeys(names, OK))


def _lists(shows: dict[str, tuple[str, ...]]) -> dict[str, Expected]:
    """A list every caseworker may ask for, showing each persona exactly these subjects."""
    return only({name: filtered(*shows.get(name, ())) for name in CASEWORKERS})


def _if_match(world: dict[str, Any], subject: str) -> dict[str, str]:
    record = world[subject]
    return {"If-Match": f'"{record.pk}-{record.version}"'}


def _constant(data: dict[str, Any]) -> Any:
    return lambda _world: dict(data)


def _person_named(world: dict[str, Any], owner: str, given_name: str) -> Person:
    return Person.objects.get(owner_agency_id=world[owner].agency_id, given_name=given_name)


# --------------------------------------------------------------------------------------------------
# Sections and journals

for kind in ("police", "social", "probation"):
    of_kind = tuple(name for name, (k, _full, _summary) in SECTIONS.items() if k == kind)
    shows = {
        persona: tuple(name for name in of_kind if persona in SECTIONS[name][1] + SECTIONS[name][2])
        for persona in CASEWORKERS
    }
    register(Row(f"api:{kind}section-list", "GET", None, _lists(shows), list_subjects=of_kind))

register(
    Row(
        "api:policesection-list",
        "POST",
        None,
        _ok("petra", "anders"),
        data=lambda w: {"person": _person_named(w, "petra", "Dino").pk, "risk_level": "low"},
        content_type=JSON,
    ),
    Row(
        "api:probationsection-list",
        "POST",
        None,
        _ok("karin"),
        data=lambda w: {"person": _person_named(w, "karin", "Oskar").pk, "supervision_type": "probation"},
        content_type=JSON,
    ),
)

for subject, (kind, full, summary) in SECTIONS.items():
    edit: dict[str, Any] = {"headers": partial(_if_match, subject=subject), "content_type": JSON}
    register(
        Row(f"api:{kind}section-detail", "GET", subject, _ok(*full, *summary)),
        Row(f"api:{kind}section-detail", "PATCH", subject, _ok(*full), data=_constant(SECTION_CHANGE[kind]), **edit),
        Row(f"api:{kind}section-detail", "PUT", subject, _ok(*full), data=_constant(SECTION_CHANGE[kind]), **edit),
        # A summary has no journal: 404 for those who hold only the summary.
        Row(f"api:{kind}section-notes", "GET", subject, _ok(*full)),
        Row(
            f"api:{kind}section-notes", "POST", subject, _ok(*full), data=_constant({"text": "API"}), content_type=JSON
        ),
    )


# --------------------------------------------------------------------------------------------------
# Consents


def _consent_with_document(world: dict[str, Any]) -> dict[str, int]:
    """A consent of Sami's with a signed document (the demo consent has none)."""
    minor = world["malmo_minor_person"]
    consent = services.consent_record(
        actor=world["sara"],
        person=minor,
        given_on=world["malmo_minor_consent"].given_on,
        recipients=list(world["malmo_minor_consent"].recipients.all()),
        subjects=["identity"],
        guardians=list(Guardian.objects.filter(person=minor)),
        document=SimpleUploadedFile("samtycke.pdf", PDF, content_type="application/pdf"),
    )
    return {"pk": consent.pk}


register(
    Row(
        "api:consent-list",
        "GET",
        None,
        _lists({"sara": ("malmo_minor_consent",), "erik": ("malmo_minor_consent",)}),
        list_subjects=("malmo_minor_consent",),
    ),
    Row("api:consent-detail", "GET", "malmo_minor_consent", _ok("sara", "erik")),
    Row(
        "api:consent-revoke", "POST", "malmo_minor_consent", _ok("sara", "erik"), data=_constant({}), content_type=JSON
    ),
    Row("api:consent-document", "GET", "malmo_minor_consent", _ok("sara", "erik"), url_kwargs=_consent_with_document),
)


# --------------------------------------------------------------------------------------------------
# Shares: Karin's probation summary to the police team; Sara's share to the police, ended with its consent

SHARES = ("malmo_share", "malmo_revoked_share")
register(
    Row(
        "api:share-list",
        "GET",
        None,
        _lists(
            {
                "petra": ("malmo_share",),
                "anders": ("malmo_share",),
                "karin": ("malmo_share",),
                "sara": ("malmo_revoked_share",),
                "erik": ("malmo_revoked_share",),
            }
        ),
        list_subjects=SHARES,
    ),
    Row("api:share-detail", "GET", "malmo_share", _ok("karin", "petra", "anders")),
    Row("api:share-detail", "GET", "malmo_revoked_share", _ok("sara", "erik")),
    # Only the sender revokes; ending an ended share changes nothing and answers as the share is.
    Row("api:share-revoke", "POST", "malmo_share", _ok("karin"), data=_constant({}), content_type=JSON),
    Row("api:share-revoke", "POST", "malmo_revoked_share", _ok("sara", "erik"), data=_constant({}), content_type=JSON),
    # Only the recipient links; the police no longer see the ended share at all.
    Row(
        "api:share-link",
        "POST",
        "malmo_share",
        _ok("petra", "anders"),
        data=_constant({"person": None}),
        content_type=JSON,
    ),
    Row("api:share-link", "POST", "malmo_revoked_share", _ok(), data=_constant({"person": None}), content_type=JSON),
)


# --------------------------------------------------------------------------------------------------
# Reports of concern: Petra's report about Noah to Malmö stad

register(
    Row(
        "api:concernreport-list",
        "GET",
        None,
        only({"sara": filtered("malmo_concern"), "erik": filtered("malmo_concern"), "nils": filtered()}),
        list_subjects=("malmo_concern",),
    ),
    # The sender's team reads the status only (tests/cases/test_api_case_files.py checks the fields).
    Row("api:concernreport-detail", "GET", "malmo_concern", _ok("petra", "anders", "sara", "erik")),
    Row(
        "api:concernreport-receive", "POST", "malmo_concern", _ok("sara", "erik"), data=_constant({}), content_type=JSON
    ),
    Row(
        "api:concernreport-assess",
        "POST",
        "malmo_concern",
        _ok("sara", "erik"),
        data=_constant({"outcome": "investigation", "assessment": "API"}),
        headers=partial(_if_match, subject="malmo_concern"),
        content_type=JSON,
    ),
)


# --------------------------------------------------------------------------------------------------
# Aliases and guardians of Sami (Sara's record)


def _name_sami_parts(world: dict[str, Any]) -> dict[str, Any]:
    """Put Sami's alias and guardian in the scope under names, for the lists' `filtered` results."""
    minor = world["malmo_minor_person"]
    world["malmo_minor_alias"] = minor.aliases.get(name="Sam")
    world["malmo_minor_guardian"] = minor.guardians.get(name="Lina Nordström")
    return {}


def _sami_alias(world: dict[str, Any]) -> dict[str, int]:
    return {"pk": world["malmo_minor_person"].aliases.get(name="Sam").pk}


def _new_guardian_of_sami(world: dict[str, Any]) -> dict[str, int]:
    """A guardian without a recorded consent (Lina consented, so she stays on record)."""
    guardian = services.guardian_add(
        actor=world["sara"], person=world["malmo_minor_person"], name="Test", relation="other"
    )
    return {"pk": guardian.pk}


for route, part in (("api:personalias", "alias"), ("api:guardian", "guardian")):
    name = f"malmo_minor_{part}"
    register(
        Row(
            f"{route}-list",
            "GET",
            None,
            _lists({"sara": (name,), "erik": (name,)}),
            list_subjects=(name,),
            data=_name_sami_parts,
        ),
        Row(
            f"{route}-detail",
            "DELETE",
            "malmo_minor_person",
            _ok("sara", "erik"),
            url_kwargs=_sami_alias if part == "alias" else _new_guardian_of_sami,
        ),
    )


# --------------------------------------------------------------------------------------------------
# The person photo (Petra's record of Adam)


def _with_photo(world: dict[str, Any]) -> dict[str, int]:
    person = world["malmo_police_person"]
    services.person_photo_set(
        actor=world["petra"], person=person, upload=SimpleUploadedFile("p.png", PNG, content_type="image/png")
    )
    return {"pk": person.pk}


def _photo_upload(_world: dict[str, Any]) -> dict[str, Any]:
    # The matrix runner sends a non-JSON body as given: a multipart body, with its content type below.
    return cast(dict[str, Any], encode_multipart(BOUNDARY, {"photo": SimpleUploadedFile("p.png", PNG)}))


register(
    Row("api:person-photo", "GET", "malmo_police_person", _ok("petra", "anders"), url_kwargs=_with_photo),
    Row(
        "api:person-photo",
        "PUT",
        "malmo_police_person",
        _ok("petra", "anders"),
        data=_photo_upload,
        headers=lambda _w: {"Content-Type": MULTIPART_CONTENT},
    ),
    Row("api:person-photo", "DELETE", "malmo_police_person", _ok("petra", "anders")),
)

__all__ = ["NOT_FOUND", "SUBJECTS"]
