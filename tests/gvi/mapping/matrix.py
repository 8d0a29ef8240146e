"""Permission-matrix rows for the group map: every page, API route and export.

Mapping data is police-owned: the police personas see and edit Malmö's map; everyone else (social
worker, exit coordinator, probation officer, program lead, auditor, admin, the other municipality's
staff) gets 404 on every route, including for ids guessed from outside. Örebro's group belongs to
Polisen Örebro: the Malmö police get 404 on it too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.matrix import NOT_FOUND, OK, Row, filtered, only, register

POLICE = ("petra", "anders")
GROUP_SUBJECTS = ("malmo_group", "orebro_group")
MEMBERSHIP_SUBJECTS = ("malmo_membership",)
RELATION_SUBJECTS = ("malmo_relation",)
INCIDENT_SUBJECTS = ("malmo_incident",)
INVOLVEMENT_SUBJECTS = ("malmo_involvement",)
# The scope objects the rows act on; all must exist for the matrix to prove anything.
MAPPING_SUBJECTS = GROUP_SUBJECTS + MEMBERSHIP_SUBJECTS + RELATION_SUBJECTS + INCIDENT_SUBJECTS + INVOLVEMENT_SUBJECTS

Build = Callable[[dict[str, Any]], dict[str, Any]]

POLICE_OK = only(dict.fromkeys(POLICE, OK))
NOBODY = only({})
JSON = "application/json"


def _shows(*subjects: str) -> dict[str, Any]:
    return only(dict.fromkeys(POLICE, filtered(*subjects)))


def _today() -> Any:
    return timezone.localdate()


def _version(world: dict[str, Any], subject: str) -> int:
    obj = world[subject]
    return type(obj)._default_manager.get(pk=obj.pk).version


def _if_match(subject: str) -> Callable[[dict[str, Any]], dict[str, str]]:
    def headers(world: dict[str, Any]) -> dict[str, str]:
        return {"If-Match": f'"{world[subject].pk}-{_version(world, subject)}"'}

    return headers


# --- What a valid write sends (pages: form fields; API: JSON) -------------------------------------


def _constant(data: dict[str, Any]) -> Build:
    return lambda world: dict(data)


def _format(fmt: str) -> Build:
    return lambda world: {"fmt": fmt}


def _new_group(world: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Grupp Matrisen", "aliases": "Matrisen", "district": "Centrum", "status": "active", "notes": ""}


def _group_edit(world: dict[str, Any], subject: str = "malmo_group") -> dict[str, Any]:
    group = world[subject]
    return {
        "name": group.name,
        "aliases": "Falkarna",
        "district": group.district,
        "status": "dormant",
        "notes": "ändrad i matrisen",
        "version": _version(world, subject),
    }


def _group_edit_of(subject: str) -> Build:
    return lambda world: _group_edit(world, subject)


def _new_membership(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "person": world["malmo_police_person"].pk,
        "role": "associate",
        "confidence": "probable",
        "source": "spaning",
        "valid_from": str(_today() - timedelta(days=30)),
        "last_confirmed": str(_today() - timedelta(days=1)),
    }


def _membership_edit(world: dict[str, Any]) -> dict[str, Any]:
    membership = type(world["malmo_membership"])._default_manager.get(pk=world["malmo_membership"].pk)
    return {
        "role": membership.role,
        "confidence": "confirmed",
        "source": "förundersökning",
        "valid_from": str(membership.valid_from),
        "valid_to": "",
        "last_confirmed": str(membership.last_confirmed),
        "review_due": "",
        "version": membership.version,
    }


def _new_relation(world: dict[str, Any]) -> dict[str, Any]:
    return {
        "other_group": world["malmo_other_group"].pk,
        "kind": "rivalry",
        "intensity": 1,
        "valid_from": str(_today() - timedelta(days=10)),
        "notes": "",
    }


def _relation_edit(world: dict[str, Any]) -> dict[str, Any]:
    relation = world["malmo_relation"]
    return {
        "kind": relation.kind,
        "intensity": 3,
        "valid_from": str(relation.valid_from),
        "valid_to": "",
        "notes": "trappas upp",
        "version": _version(world, "malmo_relation"),
    }


def _new_incident(world: dict[str, Any], *, api: bool = False) -> dict[str, Any]:
    when = timezone.localtime() - timedelta(days=2)
    return {
        "kind": "explosion",
        "occurred_at": when.isoformat() if api else when.strftime("%Y-%m-%dT%H:%M"),
        "place": "Amiralsgatan 20",
        "district": "Möllevången",
        "killed": 0,
        "injured": 1,
        "gmi": "suspected",
        "police_case_number": "5000-K999-99",
        "notes": "",
        "groups": [world["malmo_group"].pk],
    }


def _incident_edit(world: dict[str, Any]) -> dict[str, Any]:
    incident = world["malmo_incident"]
    return {
        "kind": incident.kind,
        "occurred_at": timezone.localtime(incident.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "place": incident.place,
        "district": incident.district,
        "killed": incident.killed,
        "injured": incident.injured + 1,
        "gmi": incident.gmi,
        "police_case_number": incident.police_case_number,
        "notes": "en skadad till",
        "groups": [g.pk for g in incident.groups.all()],
        "version": _version(world, "malmo_incident"),
    }


def _new_involvement(world: dict[str, Any]) -> dict[str, Any]:
    return {"person": world["malmo_police_person"].pk, "role": "witness"}


def _csv_upload(name: str, lines: list[str]) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, "\n".join(lines).encode(), content_type="text/csv")}


def _incident_file(world: dict[str, Any]) -> dict[str, Any]:
    when = (timezone.localtime() - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    return _csv_upload(
        "incidents.csv",
        [
            "police_case_number,occurred_at,kind,place,district,gmi,groups",
            f"5000-K777-77,{when},shooting,Ystadvägen 3,Rosengård,suspected,{world['malmo_group'].name}",
        ],
    )


def _membership_file(world: dict[str, Any]) -> dict[str, Any]:
    return _csv_upload(
        "memberships.csv",
        [
            "group,person_id,confidence,source,valid_from",
            f"{world['malmo_other_group'].name},{world['malmo_police_person'].pk},probable,spaning,{_today()}",
        ],
    )


def _api(data: Build) -> Build:
    """The API takes the same fields without the form's hidden version (If-Match carries it)."""

    def payload(world: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in data(world).items() if key != "version" and value != ""}

    return payload


# --- Pages --------------------------------------------------------------------------------------

register(
    Row("mapping:group-list", "GET", None, _shows("malmo_group"), list_subjects=GROUP_SUBJECTS),
    Row("mapping:group-create", "GET", None, POLICE_OK),
    Row("mapping:group-create", "POST", None, POLICE_OK, data=_new_group),
    Row("mapping:reviews-due", "GET", None, POLICE_OK),
    Row("mapping:incident-list", "GET", None, _shows("malmo_incident"), list_subjects=INCIDENT_SUBJECTS),
    Row("mapping:incident-create", "GET", None, POLICE_OK),
    Row("mapping:incident-create", "POST", None, POLICE_OK, data=_new_incident),
    Row("mapping:network", "GET", None, POLICE_OK),
    Row("mapping:import-incidents", "GET", None, POLICE_OK),
    Row("mapping:import-memberships", "GET", None, POLICE_OK),
    # Uploading a file shows the preview; nothing is written until the signed rows are confirmed.
    Row("mapping:import-incidents", "POST", None, POLICE_OK, data=_incident_file),
    Row("mapping:import-memberships", "POST", None, POLICE_OK, data=_membership_file),
)
for fmt in ("csv", "xlsx"):
    register(
        Row("mapping:export-incidents", "GET", None, POLICE_OK, url_kwargs=_format(fmt)),
        Row("mapping:export-memberships", "GET", None, POLICE_OK, url_kwargs=_format(fmt)),
    )

# A group's pages: Malmö's for the Malmö police, Örebro's for no persona (its owner is demo staff).
for subject, allowed in (("malmo_group", POLICE_OK), ("orebro_group", NOBODY)):
    register(
        Row("mapping:group-detail", "GET", subject, allowed),
        Row("mapping:group-edit", "GET", subject, allowed),
        Row("mapping:group-edit", "POST", subject, allowed, data=_group_edit_of(subject)),
        Row("mapping:membership-create", "GET", subject, allowed),
        Row("mapping:membership-create", "POST", subject, allowed, data=_new_membership),
        Row("mapping:relation-create", "GET", subject, allowed),
        Row("mapping:relation-create", "POST", subject, allowed, data=_new_relation),
    )

register(
    Row("mapping:membership-edit", "GET", "malmo_membership", POLICE_OK),
    Row("mapping:membership-edit", "POST", "malmo_membership", POLICE_OK, data=_membership_edit),
    Row("mapping:membership-reconfirm", "POST", "malmo_membership", POLICE_OK, data=_constant({"confidence": ""})),
    Row("mapping:relation-edit", "GET", "malmo_relation", POLICE_OK),
    Row("mapping:relation-edit", "POST", "malmo_relation", POLICE_OK, data=_relation_edit),
    Row("mapping:incident-detail", "GET", "malmo_incident", POLICE_OK),
    Row("mapping:incident-edit", "GET", "malmo_incident", POLICE_OK),
    Row("mapping:incident-edit", "POST", "malmo_incident", POLICE_OK, data=_incident_edit),
    Row("mapping:involvement-create", "GET", "malmo_incident", POLICE_OK),
    Row("mapping:involvement-create", "POST", "malmo_incident", POLICE_OK, data=_new_involvement),
    Row("mapping:involvement-delete", "POST", "malmo_involvement", POLICE_OK),
)

# --- API ----------------------------------------------------------------------------------------

register(
    Row("api:group-list", "GET", None, _shows("malmo_group"), list_subjects=GROUP_SUBJECTS),
    Row("api:group-list", "POST", None, POLICE_OK, data=_new_group, content_type=JSON),
    Row("api:membership-list", "GET", None, _shows("malmo_membership"), list_subjects=MEMBERSHIP_SUBJECTS),
    Row(
        "api:membership-list",
        "POST",
        None,
        POLICE_OK,
        data=lambda w: {**_new_membership(w), "group": w["malmo_group"].pk},
        content_type=JSON,
    ),
    Row("api:relation-list", "GET", None, _shows("malmo_relation"), list_subjects=RELATION_SUBJECTS),
    Row(
        "api:relation-list",
        "POST",
        None,
        POLICE_OK,
        data=lambda w: {**_new_relation(w), "group": w["malmo_group"].pk},
        content_type=JSON,
    ),
    Row("api:incident-list", "GET", None, _shows("malmo_incident"), list_subjects=INCIDENT_SUBJECTS),
    Row(
        "api:incident-list",
        "POST",
        None,
        POLICE_OK,
        data=lambda w: _new_incident(w, api=True),
        content_type=JSON,
    ),
    # The network lists the groups it shows: Örebro's never.
    Row("api:mapping-network", "GET", None, _shows("malmo_group"), list_subjects=GROUP_SUBJECTS),
)

# Detail, PATCH and PUT per subject: (route, subject, who, PATCH body, PUT body)
API_DETAIL: list[tuple[str, str, dict[str, Any], Build, Build]] = [
    ("api:group-detail", "malmo_group", POLICE_OK, _constant({"notes": "API"}), _api(_group_edit)),
    ("api:group-detail", "orebro_group", NOBODY, _constant({"notes": "API"}), _api(_group_edit_of("orebro_group"))),
    (
        "api:membership-detail",
        "malmo_membership",
        POLICE_OK,
        _constant({"confidence": "possible"}),
        _api(_membership_edit),
    ),
    ("api:relation-detail", "malmo_relation", POLICE_OK, _constant({"intensity": 1}), _api(_relation_edit)),
    ("api:incident-detail", "malmo_incident", POLICE_OK, _constant({"injured": 2}), _api(_incident_edit)),
]
for route, subject, allowed, patch_body, put_body in API_DETAIL:
    register(
        Row(route, "GET", subject, allowed),
        Row(route, "PATCH", subject, allowed, data=patch_body, headers=_if_match(subject), content_type=JSON),
        Row(route, "PUT", subject, allowed, data=put_body, headers=_if_match(subject), content_type=JSON),
    )

__all__ = ["MAPPING_SUBJECTS", "NOT_FOUND"]
