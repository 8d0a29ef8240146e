"""Import and export of the group map: preview, line-numbered rejections, all-or-nothing commit, no duplicates,
signed and user-bound previews, scoped and audited exports that import again unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from cases.models import Person
from gvi import access, demo
from gvi.audit.models import AuditAction, AuditEvent
from gvi.mapping import imports, services
from gvi.mapping.imports import ImportKind, RowStatus, files
from gvi.mapping.models import GroupMembership, Incident
from tests.conftest import max_queries

INCIDENT_HEADER = [column.name for column in imports.INCIDENT_COLUMNS]
MEMBERSHIP_HEADER = [column.name for column in imports.MEMBERSHIP_COLUMNS if column.imported]
OUTSIDERS = ("sara", "karin", "lena", "nils", "maja")
EXPORT_QUERIES = 25


# --- helpers ---------------------------------------------------------------------------------------


def incident_row(i: int, **changes: str) -> dict[str, str]:
    row = {
        "police_case_number": f"IMP-{i:04d}-12",
        "occurred_at": f"2012-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}",
        "kind": ("shooting", "explosion", "other")[i % 3],
        "place": f"Ystadvägen {i}",
        "district": "Rosengård",
        "latitude": "55.58430" if i % 2 else "",
        "longitude": "13.03150" if i % 2 else "",
        "killed": str(i % 2),
        "injured": str(i % 3),
        "gmi": ("confirmed", "suspected", "none")[i % 3],
        "groups": "Grupp Falken; Grupp Vargen" if i % 2 else "Grupp Falken",
        "notes": f"Importerad rad {i}",
    }
    row.update(changes)
    return row


def csv_bytes(
    rows: list[dict[str, str]], header: list[str] = INCIDENT_HEADER, *, delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes, name: str = "incidents.csv", kind: ImportKind = ImportKind.INCIDENTS) -> imports.Table:
    return imports.read_upload(SimpleUploadedFile(name, data), kind=kind)


@pytest.fixture
def client_for(verified_client: Callable[[str], Client]) -> Callable[[str], Client]:
    def make(username: str) -> Client:
        client = verified_client(username)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def upload(client: Client, route: str, name: str, data: bytes) -> Any:
    return client.post(reverse(route), {"file": SimpleUploadedFile(name, data)})


def confirm(client: Client, route: str, payload: str) -> Any:
    return client.post(reverse(route), {"payload": payload})


def agency_incidents(world: dict[str, Any]) -> int:
    return Incident.objects.filter(owner_agency_id=world["petra"].agency_id).count()


def body_of(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def csv_export(response: Any) -> list[dict[str, str]]:
    body = body_of(response).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


# --- incidents: the three rules of the issue --------------------------------------------------------


def test_three_bad_rows_among_100_import_nothing_and_are_reported_by_line(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    rows = [incident_row(i) for i in range(100)]
    rows[10]["occurred_at"] = "2012-13-45 25:00"  # line 12
    rows[50]["kind"] = "knivhuggning"  # line 52
    rows[97]["groups"] = "Grupp Falken; Grupp Gäddan"  # line 99: Örebro's group, not on Petra's map
    before = agency_incidents(world)
    client = client_for("petra")

    response = upload(client, "mapping:import-incidents", "incidents.csv", csv_bytes(rows))

    assert response.status_code == 200
    result = response.context["result"]
    assert result.rejected_lines == [12, 52, 99]
    assert [(row.line, [column for column, _message in row.errors]) for row in result.rejected] == [
        (12, ["occurred_at"]),
        (52, ["kind"]),
        (99, ["groups"]),
    ]
    assert len(result.new) == 97
    assert not result.can_commit
    assert response.context["payload"] == ""
    html = response.content.decode()
    assert 'id="import-confirm"' not in html
    assert 'name="payload"' not in html
    for line in (12, 52, 99):
        assert f'<tr data-line="{line}"><td>{line}</td>' in html
    assert "No group named &#x27;Grupp Gäddan&#x27; on your map." in html

    # The service refuses as well, even when called directly with the same rows.
    committed = imports.incidents_import(actor=world["petra"], rows=read(csv_bytes(rows)).rows)
    assert not committed.committed
    assert committed.rejected_lines == [12, 52, 99]
    assert agency_incidents(world) == before


def test_clean_file_imports_every_row_in_one_commit_with_audit(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    rows = [incident_row(i) for i in range(100)]
    before = agency_incidents(world)
    client = client_for("petra")

    preview = upload(client, "mapping:import-incidents", "incidents.csv", csv_bytes(rows))
    assert preview.context["result"].can_commit
    assert agency_incidents(world) == before  # the preview writes nothing
    assert 'id="import-confirm"' in preview.content.decode()

    done = confirm(client, "mapping:import-incidents", preview.context["payload"])

    assert done.status_code == 302
    assert done["Location"] == reverse("mapping:incident-list")
    assert agency_incidents(world) == before + 100
    imported = Incident.objects.filter(police_case_number__startswith="IMP-").prefetch_related("groups")
    assert imported.count() == 100
    one = imported.get(police_case_number="IMP-0001-12")
    assert timezone.localtime(one.occurred_at).strftime("%Y-%m-%d %H:%M") == "2012-02-02 01:01"
    assert one.kind == "explosion"
    assert one.place == "Ystadvägen 1"
    assert {group.name for group in one.groups.all()} == {"Grupp Falken", "Grupp Vargen"}
    assert str(one.latitude) == "55.58430"
    assert access.visible(world["anders"], Incident).filter(pk=one.pk).exists()  # granted to the agency

    creates = AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="mapping.incident", purpose=imports.IMPORT_PURPOSE
    )
    assert creates.count() == 100
    summary = AuditEvent.objects.get(action=AuditAction.CREATE, object_type="mapping.import")
    assert summary.actor_username == "petra"
    assert summary.detail == {"kind": "incidents", "rows": 100, "skipped": 0}
    assert sorted(int(i) for i in summary.object_ids) == sorted(imported.values_list("pk", flat=True))


def test_the_same_file_twice_does_not_duplicate_incidents(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    data = csv_bytes([incident_row(i) for i in range(20)])
    client = client_for("petra")
    first = upload(client, "mapping:import-incidents", "incidents.csv", data)
    confirm(client, "mapping:import-incidents", first.context["payload"])
    after_first = agency_incidents(world)

    second = upload(client, "mapping:import-incidents", "incidents.csv", data)

    result = second.context["result"]
    assert [row.status for row in result.rows] == [RowStatus.SKIPPED] * 20
    assert not result.rejected
    assert not result.can_commit
    assert "Nothing new to import. 20 rows are already registered and are skipped." in second.content.decode()
    # Committing anyway (the service, directly) adds nothing and says so.
    again = imports.incidents_import(actor=world["petra"], rows=read(data).rows)
    assert again.committed
    assert again.created_ids == []
    assert len(again.skipped) == 20
    assert agency_incidents(world) == after_first


def test_a_file_partly_imported_imports_only_the_rest(world: dict[str, Any]) -> None:
    petra = world["petra"]
    imports.incidents_import(actor=petra, rows=read(csv_bytes([incident_row(i) for i in range(5)])).rows)
    result = imports.incidents_import(actor=petra, rows=read(csv_bytes([incident_row(i) for i in range(8)])).rows)
    assert result.committed
    assert len(result.created_ids) == 3
    assert [row.line for row in result.skipped] == [2, 3, 4, 5, 6]


def test_an_incident_without_case_number_is_known_by_time_kind_and_place(world: dict[str, Any]) -> None:
    rows = [incident_row(1, police_case_number=""), incident_row(2, police_case_number="")]
    first = imports.incidents_import(actor=world["petra"], rows=read(csv_bytes(rows)).rows)
    assert len(first.created_ids) == 2
    rows.append(incident_row(1, police_case_number="", place="ystadvägen 1"))  # the same place, other case
    again = imports.incidents_preview(actor=world["petra"], rows=read(csv_bytes(rows)).rows)
    assert [row.status for row in again.rows] == [RowStatus.SKIPPED, RowStatus.SKIPPED, RowStatus.REJECTED]
    assert again.rejected[0].errors[0][0] == "occurred_at"


def test_a_case_number_twice_in_the_file_is_an_error_on_the_later_line(world: dict[str, Any]) -> None:
    rows = [incident_row(i) for i in range(5)]
    rows[3]["police_case_number"] = rows[1]["police_case_number"]
    with translation.override("en"):
        result = imports.incidents_preview(actor=world["petra"], rows=read(csv_bytes(rows)).rows)
    assert result.rejected_lines == [5]
    assert result.rejected[0].errors == [("police_case_number", "The same incident as on line 3 of this file.")]


def test_every_reason_of_a_row_is_reported(world: dict[str, Any]) -> None:
    bad = incident_row(
        1, occurred_at="2999-01-01 10:00", place="", latitude="91", killed="-1", injured="två", gmi="kanske"
    )
    with translation.override("en"):
        result = imports.incidents_preview(actor=world["petra"], rows=read(csv_bytes([bad])).rows)
    columns = [column for column, _message in result.rejected[0].errors]
    assert columns == ["occurred_at", "place", "latitude", "killed", "injured", "gmi"]


def test_a_failure_while_saving_rolls_back_every_row(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    real = services.incident_create
    calls = {"n": 0}

    def flaky(**kwargs: Any) -> Incident:
        calls["n"] += 1
        if calls["n"] == 3:
            raise ValidationError({"place": "Something changed meanwhile."})
        return real(**kwargs)

    monkeypatch.setattr(services, "incident_create", flaky)
    before = agency_incidents(world)
    events = AuditEvent.objects.count()
    with translation.override("en"):
        result = imports.incidents_import(
            actor=world["petra"], rows=read(csv_bytes([incident_row(i) for i in range(5)])).rows
        )
    assert not result.committed
    assert result.error.startswith("Line 4 could not be saved")
    assert result.rejected_lines == [4]
    assert agency_incidents(world) == before
    assert AuditEvent.objects.count() == events  # the create events went with the rollback


# --- file formats ---------------------------------------------------------------------------------


def test_xlsx_import(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    rows: list[list[Any]] = [
        ["IMP-X1", datetime(2013, 5, 17, 21, 40), "Skjutning", "Möllevångstorget", "Möllevången", 55.59, 13.00, 1, 0,
         "bekräftad", "Grupp Falken", ""],
        ["IMP-X2", "2013-05-18 02:05", "sprängning", "Amiralsgatan 40", "", None, None, None, 2, "", "", "dörr"],
    ]  # fmt: skip
    client = client_for("petra")

    preview = upload(client, "mapping:import-incidents", "incidents.xlsx", xlsx_bytes(rows, INCIDENT_HEADER))
    assert preview.context["result"].can_commit, preview.context["result"].rejected
    confirm(client, "mapping:import-incidents", preview.context["payload"])

    first = Incident.objects.get(police_case_number="IMP-X1")
    assert (first.kind, first.gmi, first.killed, first.place) == ("shooting", "confirmed", 1, "Möllevångstorget")
    assert timezone.localtime(first.occurred_at).replace(tzinfo=None) == datetime(2013, 5, 17, 21, 40)
    second = Incident.objects.get(police_case_number="IMP-X2")
    assert (second.kind, second.gmi, second.killed, second.injured) == ("explosion", "none", 0, 2)


def test_excel_csv_with_semicolons_in_windows_encoding(world: dict[str, Any]) -> None:
    rows = [incident_row(1, place="Möllevångstorget", kind="sprängning", gmi="misstänkt", latitude="55,5912")]
    data = csv_bytes(rows, delimiter=";", encoding="cp1252")
    table = read(data)
    result = imports.incidents_import(actor=world["petra"], rows=table.rows)
    assert result.committed
    incident = Incident.objects.get(pk=result.created_ids[0])
    assert (incident.place, incident.kind, incident.gmi) == ("Möllevångstorget", "explosion", "suspected")
    assert str(incident.latitude) == "55.59120"


def test_utf8_with_bom_and_header_in_any_case_and_order(world: dict[str, Any]) -> None:
    data = "\ufeff" + "Place,KIND,occurred_at,Police case number,extra\nÅgatan 1,other,2014-01-02 03:04,IMP-B1,x\n"
    table = read(data.encode("utf-8"))
    assert table.columns == ["place", "kind", "occurred_at", "police_case_number"]
    assert table.ignored_columns == ["extra"]
    assert table.rows[0].cells["place"] == "Ågatan 1"
    assert table.rows[0].line == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("incidents.txt", b"police_case_number\n1\n", "Upload a .csv or .xlsx file."),
        ("incidents.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file."),
        ("incidents.xlsx", b"police_case_number,kind\n", "could not be read as an Excel workbook"),
        ("incidents.xlsx", b"PK\x03\x04 broken zip", "could not be read as an Excel workbook"),
        ("incidents.csv", b"\x00\x01\x02\x03binary", "does not look like a CSV file"),
        ("incidents.csv", b"", "file is empty."),
        ("incidents.csv", b" \r\n\n", "The file is empty."),
        ("incidents.csv", b"place,kind\nx,shooting\n", "lacks the columns: occurred_at"),
        ("incidents.csv", b"occurred_at,kind,place\n", "no rows below the first line"),
        ("incidents.csv", b"occurred_at,kind,place,place\n1,2,3,4\n", "appears twice"),
    ],
)
def test_a_bad_file_gets_a_form_error(
    world: dict[str, Any], client_for: Callable[[str], Client], name: str, data: bytes, message: str
) -> None:
    response = upload(client_for("petra"), "mapping:import-incidents", name, data)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any(message in error for error in errors), errors
    assert "result" not in response.context


def test_a_file_over_the_size_limit_gets_a_form_error(
    world: dict[str, Any], client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_UPLOAD_BYTES", 1024 * 1024)
    data = csv_bytes([incident_row(i, notes="x" * 2000) for i in range(600)])
    assert len(data) > 1024 * 1024
    response = upload(client_for("petra"), "mapping:import-incidents", "incidents.csv", data)
    assert response.status_code == 200
    assert "larger than 1 MB" in " ".join(response.context["form"].errors["file"])


def test_too_many_rows_get_a_form_error(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_ROWS", 10)
    with translation.override("en"), pytest.raises(ValidationError, match="more than 10 rows"):
        read(csv_bytes([incident_row(i) for i in range(11)]))


def test_a_form_with_no_file_says_so(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    response = client_for("petra").post(reverse("mapping:import-incidents"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_the_page_documents_the_columns(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    for route, columns in (
        ("mapping:import-incidents", imports.INCIDENT_COLUMNS),
        ("mapping:import-memberships", imports.MEMBERSHIP_COLUMNS),
    ):
        response = client_for("anders").get(reverse(route))
        assert response.status_code == 200
        html = response.content.decode()
        assert 'enctype="multipart/form-data"' in html
        assert 'accept=".csv,.xlsx' in html
        for column in columns:
            assert f"<code>{column.name}</code>" in html


# --- the signed preview ---------------------------------------------------------------------------


def test_a_tampered_preview_is_refused(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    client = client_for("petra")
    preview = upload(client, "mapping:import-incidents", "incidents.csv", csv_bytes([incident_row(1)]))
    payload = preview.context["payload"]
    tampered = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    before = agency_incidents(world)

    response = confirm(client, "mapping:import-incidents", tampered)

    assert response.status_code == 400
    assert "The preview has expired or could not be read" in response.content.decode()
    assert agency_incidents(world) == before


def test_a_preview_signed_for_another_user_is_refused(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    table = read(csv_bytes([incident_row(1)]))
    for_anders = imports.sign_rows(actor=world["anders"], kind=ImportKind.INCIDENTS, table=table)
    before = agency_incidents(world)

    response = confirm(client_for("petra"), "mapping:import-incidents", for_anders)

    assert response.status_code == 400
    assert agency_incidents(world) == before
    with pytest.raises(ValidationError):
        imports.unsign_rows(actor=world["petra"], kind=ImportKind.INCIDENTS, token=for_anders)


def test_a_preview_for_the_other_kind_of_import_is_refused(world: dict[str, Any]) -> None:
    token = imports.sign_rows(actor=world["petra"], kind=ImportKind.INCIDENTS, table=read(csv_bytes([incident_row(1)])))
    with pytest.raises(ValidationError):
        imports.unsign_rows(actor=world["petra"], kind=ImportKind.MEMBERSHIPS, token=token)


def test_an_expired_preview_is_refused(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    token = imports.sign_rows(actor=world["petra"], kind=ImportKind.INCIDENTS, table=read(csv_bytes([incident_row(1)])))
    monkeypatch.setattr(files, "PAYLOAD_MAX_AGE", -1)
    with pytest.raises(ValidationError):
        imports.unsign_rows(actor=world["petra"], kind=ImportKind.INCIDENTS, token=token)


def test_a_validly_signed_but_malformed_preview_is_refused(world: dict[str, Any]) -> None:
    from django.core import signing

    for payload in (
        {"u": world["petra"].pk, "k": "incidents", "c": ["secret_field"], "r": [[2, ["x"]]]},
        {"u": world["petra"].pk, "k": "incidents", "c": ["place"], "r": [[2, [1]]]},
        {"u": world["petra"].pk, "k": "incidents", "c": ["place"], "r": "nope"},
        ["not", "a", "dict"],
    ):
        token = signing.dumps(payload, compress=True, salt=imports.SIGNING_SALT)
        with pytest.raises(ValidationError):
            imports.unsign_rows(actor=world["petra"], kind=ImportKind.INCIDENTS, token=token)


def test_confirm_validates_again_and_a_second_confirm_adds_nothing(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    client = client_for("petra")
    preview = upload(
        client, "mapping:import-incidents", "incidents.csv", csv_bytes([incident_row(i) for i in range(3)])
    )
    payload = preview.context["payload"]
    assert confirm(client, "mapping:import-incidents", payload).status_code == 302
    after = agency_incidents(world)

    again = confirm(client, "mapping:import-incidents", payload)

    assert again.status_code == 302
    assert agency_incidents(world) == after


# --- memberships ----------------------------------------------------------------------------------


def membership_row(group: str, *, person: str = "", person_id: str = "", **changes: str) -> dict[str, str]:
    row = {
        "group": group,
        "person": person,
        "person_id": person_id,
        "role": "medlem",
        "confidence": "trolig",
        "source": "spaning",
        "valid_from": "2024-01-15",
        "last_confirmed": timezone.localdate().isoformat(),
    }
    row.update(changes)
    return row


def test_membership_import_by_identity_number(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    person = world["malmo_police_person"]
    data = csv_bytes([membership_row("grupp vargen", person=person.identity_number)], MEMBERSHIP_HEADER)
    client = client_for("anders")

    preview = upload(client, "mapping:import-memberships", "members.csv", data)
    result = preview.context["result"]
    assert result.can_commit, result.rejected
    assert person.full_name in preview.content.decode()
    search = AuditEvent.objects.filter(action=AuditAction.SEARCH, object_type="cases.person").latest("id")
    assert search.object_ids == [str(person.pk)]
    done = confirm(client, "mapping:import-memberships", preview.context["payload"])

    assert done.status_code == 302
    membership = GroupMembership.objects.get(group=world["malmo_other_group"], person=person, valid_from="2024-01-15")
    assert (membership.role, membership.confidence, membership.source) == ("member", "probable", "spaning")
    assert membership.review_due > membership.last_confirmed
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="mapping.groupmembership", object_id=str(membership.pk)
    ).exists()
    summary = AuditEvent.objects.filter(object_type="mapping.import").latest("id")
    assert summary.detail == {"kind": "memberships", "rows": 1, "skipped": 0}

    # The same file again: already registered.
    again = upload(client, "mapping:import-memberships", "members.csv", data).context["result"]
    assert [row.status for row in again.rows] == [RowStatus.SKIPPED]


def test_membership_import_by_person_id(world: dict[str, Any]) -> None:
    person = world["malmo_police_person"]
    data = csv_bytes(
        [membership_row("Grupp Vargen", person_id=str(person.pk), valid_from="2023-02-01")], MEMBERSHIP_HEADER
    )
    result = imports.memberships_import(actor=world["petra"], rows=read(data, kind=ImportKind.MEMBERSHIPS).rows)
    assert result.committed
    assert GroupMembership.objects.filter(pk=result.created_ids[0], person=person).exists()


def test_a_person_the_user_cannot_see_is_rejected_like_one_that_does_not_exist(world: dict[str, Any]) -> None:
    """Existence must not leak: another agency's record gets the same message as no record at all."""
    others = [
        demo.identity_number(2003, 2, 7, 718),  # Erik's record (Malmö stad)
        demo.identity_number(1999, 12, 1, 914),  # Karin's record (Kriminalvården)
        demo.identity_number(2002, 3, 14, 276),  # Nils's record (Örebro)
    ]
    assert all(Person.objects.filter(identity_number=number).exists() for number in others)
    nobody = demo.identity_number(1990, 1, 1, 999)
    assert not Person.objects.filter(identity_number=nobody).exists()
    hidden_pk = world["malmo_social_person"].pk
    rows = [membership_row("Grupp Falken", person=number) for number in [*others, nobody]]
    rows += [
        membership_row("Grupp Falken", person_id=str(hidden_pk)),
        membership_row("Grupp Falken", person_id="999999999"),
    ]

    with translation.override("en"):
        result = imports.memberships_preview(
            actor=world["petra"], rows=read(csv_bytes(rows, MEMBERSHIP_HEADER), kind=ImportKind.MEMBERSHIPS).rows
        )

    by_number = {tuple(row.errors) for row in result.rows[:4]}
    assert by_number == {(("person", "No person with this identity number among your agency's records."),)}
    by_id = {tuple(row.errors) for row in result.rows[4:]}
    assert by_id == {(("person_id", "No person with this record number among your agency's records."),)}
    assert all(row.note == "" for row in result.rows)  # no name shown either


def test_membership_rows_are_validated(world: dict[str, Any]) -> None:
    person = world["malmo_police_person"].identity_number
    rows = [
        membership_row("Grupp Gäddan", person=person),  # line 2: another program's group
        membership_row("Grupp Falken", person="20030412-1235"),  # line 3: bad check digit
        membership_row("Grupp Falken", person=person, confidence="", source="", valid_from="2021-05-01"),  # line 4
        membership_row("Grupp Falken", person=person, valid_from="2024-02-01", valid_to="2024-01-01"),  # line 5
        membership_row("Grupp Falken", person=person, role="boss", valid_from="2021-06-01"),  # line 6
        membership_row(
            "Grupp Falken", person=person, valid_from="2021-07-01", last_confirmed="2024-03-01", review_due="2024-02-01"
        ),  # line 7
        membership_row("Grupp Falken", valid_from="2020-05-05"),  # line 8: no person
        membership_row("Grupp Ugglan", person=person, valid_from="2022-02-02"),  # line 9: fine
        membership_row("Grupp Ugglan", person=person, valid_from="2022-02-02"),  # line 10: repeats line 9
    ]
    with translation.override("en"):
        result = imports.memberships_import(
            actor=world["petra"], rows=read(csv_bytes(rows, MEMBERSHIP_HEADER), kind=ImportKind.MEMBERSHIPS).rows
        )
    assert not result.committed
    assert {row.line: [c for c, _m in row.errors] for row in result.rejected} == {
        2: ["group"],
        3: ["person"],
        4: ["confidence", "source"],
        5: ["valid_to"],
        6: ["role"],
        7: ["review_due"],
        8: ["person"],
        10: ["person"],
    }


# --- exports --------------------------------------------------------------------------------------


@pytest.fixture
def orebro_incident(world: dict[str, Any]) -> Incident:
    incident = services.incident_create(
        actor=world["olle"], kind="shooting", occurred_at=timezone.now(), place="Vivalla centrum",
        police_case_number="5000-OREBRO-1",
    )  # fmt: skip
    assert not access.visible(world["petra"], Incident).filter(pk=incident.pk).exists()
    return incident


def test_incident_csv_export_holds_only_the_users_incidents_and_is_audited(
    world: dict[str, Any], client_for: Callable[[str], Client], orebro_incident: Incident
) -> None:
    response = client_for("petra").get(reverse("mapping:export-incidents", kwargs={"fmt": "csv"}))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="incidents-')
    rows = csv_export(response)
    assert list(rows[0]) == INCIDENT_HEADER
    visible = access.visible(world["petra"], Incident)
    assert sorted(row["police_case_number"] for row in rows) == sorted(
        visible.values_list("police_case_number", flat=True)
    )
    assert "5000-OREBRO-1" not in {row["police_case_number"] for row in rows}
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("id")
    assert (event.actor_username, event.object_type, event.purpose) == (
        "petra",
        "mapping.incident",
        "group mapping export",
    )
    assert sorted(int(i) for i in event.object_ids) == sorted(visible.values_list("pk", flat=True))
    assert event.detail["count"] == len(rows)
    named = next(row for row in rows if row["police_case_number"] == "5000-K100-01")
    assert named["groups"] == "Grupp Falken; Grupp Vargen"
    assert named["kind"] == "shooting"


def test_incident_xlsx_export(
    world: dict[str, Any], client_for: Callable[[str], Client], orebro_incident: Incident
) -> None:
    response = client_for("petra").get(reverse("mapping:export-incidents", kwargs={"fmt": "xlsx"}))

    assert response.status_code == 200
    assert response["Content-Type"] == imports_views_content_type()
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == INCIDENT_HEADER
    numbers = {row[0] for row in rows[1:]}
    assert numbers == set(access.visible(world["petra"], Incident).values_list("police_case_number", flat=True))
    assert "5000-OREBRO-1" not in numbers
    assert isinstance(rows[1][1], datetime)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor_username="petra").count() == 1


def imports_views_content_type() -> str:
    from gvi.mapping.views.imports import XLSX_CONTENT_TYPE

    return XLSX_CONTENT_TYPE


def test_incident_export_uses_the_list_filters(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    url = reverse("mapping:export-incidents", kwargs={"fmt": "csv"})
    rows = csv_export(client_for("petra").get(url, {"kind": ["explosion", "other"], "gmi": "confirmed"}))
    assert rows
    assert {row["kind"] for row in rows} <= {"explosion", "other"}
    assert {row["gmi"] for row in rows} == {"confirmed"}
    group = world["malmo_group"]
    by_group = csv_export(client_for("petra").get(url, {"group": group.pk}))
    assert all("Grupp Falken" in row["groups"] for row in by_group)


def test_incident_export_with_bad_filters_is_a_clear_400(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    url = reverse("mapping:export-incidents", kwargs={"fmt": "csv"})
    response = client_for("petra").get(url, {"date_from": "2024-02-30", "kind": "knife"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "date_from" in html
    assert "kind" in html
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_unknown_export_format_is_404(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    client = client_for("petra")
    for route in ("mapping:export-incidents", "mapping:export-memberships"):
        assert client.get(reverse(route, kwargs={"fmt": "pdf"})).status_code == 404
        assert client.post(reverse(route, kwargs={"fmt": "csv"})).status_code == 405


def test_membership_export_is_scoped_audited_and_names_the_persons(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    response = client_for("anders").get(reverse("mapping:export-memberships", kwargs={"fmt": "csv"}))
    rows = csv_export(response)
    visible = access.visible(world["anders"], GroupMembership)
    assert len(rows) == visible.count()
    person = world["malmo_police_person"]
    mine = next(row for row in rows if row["person_id"] == str(person.pk))
    assert (mine["person"], mine["person_name"]) == (person.identity_number, person.full_name)
    assert "Grupp Gäddan" not in {row["group"] for row in rows}
    event = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="mapping.groupmembership").latest("id")
    assert sorted(int(i) for i in event.object_ids) == sorted(visible.values_list("pk", flat=True))
    # The persons the file names are logged as exported too.
    persons = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="cases.person").latest("id")
    assert sorted(int(i) for i in persons.object_ids) == sorted(set(visible.values_list("person_id", flat=True)))

    xlsx = client_for("anders").get(reverse("mapping:export-memberships", kwargs={"fmt": "xlsx"}))
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    table = list(sheet.iter_rows(values_only=True))
    assert len(table) == len(rows) + 1
    assert isinstance(table[1][7], datetime | date)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exported_files_import_again_as_already_registered(
    world: dict[str, Any], client_for: Callable[[str], Client], fmt: str
) -> None:
    client = client_for("petra")
    for kind, export_route, import_route in (
        ("incidents", "mapping:export-incidents", "mapping:import-incidents"),
        ("memberships", "mapping:export-memberships", "mapping:import-memberships"),
    ):
        response = client.get(reverse(export_route, kwargs={"fmt": fmt}))
        data = body_of(response)

        preview = upload(client, import_route, f"{kind}.{fmt}", data)

        result = preview.context["result"]
        assert result.rows, kind
        assert not result.rejected, [(row.line, row.errors) for row in result.rejected]
        assert {row.status for row in result.rows} == {RowStatus.SKIPPED}, kind
        assert not result.can_commit


def test_export_formula_text_is_guarded_and_imports_back(
    world: dict[str, Any], client_for: Callable[[str], Client]
) -> None:
    petra = world["petra"]
    imports.incidents_import(
        actor=petra, rows=read(csv_bytes([incident_row(1, place="=HYPERLINK(1)", notes="@x")])).rows
    )
    url = reverse("mapping:export-incidents", kwargs={"fmt": "csv"})
    response = client_for("petra").get(url, {"date_from": "2012-01-01", "date_to": "2012-12-31"})
    body = body_of(response)
    assert b"'=HYPERLINK(1)" in body
    assert b",=HYPERLINK" not in body
    table = read(body)
    assert table.rows[0].cells["place"] == "=HYPERLINK(1)"
    assert imports.incidents_preview(actor=petra, rows=table.rows).rows[0].status is RowStatus.SKIPPED


def test_export_query_count_does_not_grow_with_rows(world: dict[str, Any], client_for: Callable[[str], Client]) -> None:
    petra = world["petra"]
    client = client_for("petra")
    url = reverse("mapping:export-incidents", kwargs={"fmt": "csv"})
    params = {"date_from": "2012-01-01", "date_to": "2012-12-31"}

    def measure(expected_rows: int) -> int:
        client.get(url, params)  # warm the session and permission caches
        with max_queries(EXPORT_QUERIES) as captured:
            rows = csv_export(client.get(url, params))
        assert len(rows) == expected_rows
        return len(captured.captured_queries)

    imports.incidents_import(actor=petra, rows=read(csv_bytes([incident_row(i) for i in range(5)])).rows)
    few = measure(5)
    imports.incidents_import(actor=petra, rows=read(csv_bytes([incident_row(i) for i in range(50)])).rows)
    many = measure(50)
    assert few == many

    members = client_for("anders")
    members_url = reverse("mapping:export-memberships", kwargs={"fmt": "xlsx"})
    members.get(members_url)
    with max_queries(EXPORT_QUERIES):
        assert members.get(members_url).status_code == 200


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", OUTSIDERS)
def test_outsiders_get_404_on_every_import_and_export_route(
    world: dict[str, Any], client_for: Callable[[str], Client], username: str
) -> None:
    client = client_for(username)
    data = csv_bytes([incident_row(1)])
    token = imports.sign_rows(actor=world[username], kind=ImportKind.INCIDENTS, table=read(data))
    before = Incident.objects.count()
    for route in ("mapping:import-incidents", "mapping:import-memberships"):
        url = reverse(route)
        assert client.get(url).status_code == 404, route
        assert client.post(url, {"file": SimpleUploadedFile("incidents.csv", data)}).status_code == 404, route
        assert client.post(url, {"payload": token}).status_code == 404, route
    for route in ("mapping:export-incidents", "mapping:export-memberships"):
        for fmt in ("csv", "xlsx", "pdf"):
            url = reverse(route, kwargs={"fmt": fmt})
            assert client.get(url).status_code == 404, (route, fmt)
            assert client.post(url).status_code == 404, (route, fmt)
    assert Incident.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT, actor_username=username).exists()


@pytest.mark.parametrize("username", OUTSIDERS)
def test_outsiders_cannot_use_the_import_services(world: dict[str, Any], username: str) -> None:
    from django.http import Http404

    rows = read(csv_bytes([incident_row(1)])).rows
    with pytest.raises(Http404):
        imports.incidents_import(actor=world[username], rows=rows)
    with pytest.raises(Http404):
        imports.incidents_export(actor=world[username])
    with pytest.raises(Http404):
        imports.memberships_export(actor=world[username])
