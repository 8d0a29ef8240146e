"""Threat assessments, relatives (protected contact details) and support measures (relocation, measures of
relatives), with their edit conflicts and who gets 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach.models import Relative, SupportMeasure
from outreach.services import cases as services

pytestmark = pytest.mark.django_db

OUTSIDERS = ["petra", "anders", "karin", "lena", "olof", "ada", "nils"]


def _today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_a_threat_assessment_sets_the_cases_level(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:threat-create", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"level": "acute", "summary": "Nytt hot.", "assessed_on": _today(), "review_on": _today(-1)}
    )
    assert "The review cannot be before the assessment." in response.content.decode()
    response = client.post(
        url, {"level": "acute", "summary": "Nytt hot.", "assessed_on": _today(), "review_on": _today(7)}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.threat_level == "acute"
    assert case.threat_review_on == timezone.localdate() + timedelta(days=7)
    assert "Nytt hot." in client.get(reverse("outreach:case-detail", args=[case.pk])).content.decode()


def test_protected_relative_contact_details_are_sara_s_only(world: dict[str, Any], as_user: Any) -> None:
    relative = world["malmo_relative"]
    assert relative.protected_identity
    assert relative.phone
    url = reverse("outreach:relative-detail", args=[relative.pk])
    sara = as_user("sara").get(url).content.decode()
    assert relative.phone in sara
    assert relative.address in sara
    erik = as_user("erik").get(url)
    assert erik.status_code == 200
    content = erik.content.decode()
    assert relative.name in content
    assert relative.phone not in content
    assert relative.address not in content
    assert "Protected identity" in content
    # The case page's list of relatives shows no contact details, to anyone.
    case_page = as_user("sara").get(reverse("outreach:case-detail", args=[relative.exit_case_id])).content.decode()
    assert relative.name in case_page
    assert relative.phone not in case_page


def test_erik_cannot_read_or_change_protected_contact_details(world: dict[str, Any], as_user: Any) -> None:
    relative = world["malmo_relative"]
    client = as_user("erik")
    url = reverse("outreach:relative-edit", args=[relative.pk])
    form = client.get(url).content.decode()
    assert 'name="phone"' not in form
    assert relative.phone not in form
    response = client.post(
        url,
        {
            "name": relative.name,
            "relation": relative.relation,
            "threat_level": "high",
            "phone": "000-stolen",
            "address": "Elsewhere",
            "version": relative.version,
        },
    )
    assert response.status_code == 302
    relative.refresh_from_db()
    assert relative.threat_level == "high"
    assert relative.phone == "070-765 43 21"
    assert relative.protected_identity


def test_sara_edits_a_relative_and_a_stale_edit_conflicts(world: dict[str, Any], as_user: Any) -> None:
    relative = world["malmo_relative"]
    services.relative_update(actor=world["erik"], relative=relative, version=relative.version, note="Eriks anteckning")
    response = as_user("sara").post(
        reverse("outreach:relative-edit", args=[relative.pk]),
        {
            "name": relative.name,
            "relation": relative.relation,
            "threat_level": relative.threat_level,
            "phone": "070-111",
            "address": relative.address,
            "protected_identity": "on",
            "note": "Saras anteckning",
            "version": relative.version,
        },
    )
    content = response.content.decode()
    assert "Someone else saved this relative while you were editing." in content
    assert "Eriks anteckning" in content
    assert "Saras anteckning" in content


def test_adding_a_relative(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:relative-create", args=[case.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "", "relation": "sibling", "threat_level": "low"})
    assert "This field is required." in response.content.decode()
    response = client.post(url, {"name": "Sam Ali", "relation": "sibling", "threat_level": "low", "phone": "070-1"})
    assert response.status_code == 302
    relative = Relative.objects.get(exit_case=case, name="Sam Ali")
    assert response["Location"] == reverse("outreach:relative-detail", args=[relative.pk])


def test_relative_measures_are_listed_and_added(world: dict[str, Any], as_user: Any) -> None:
    relative = world["malmo_relative"]
    case = relative.exit_case
    client = as_user("sara")
    page = client.get(reverse("outreach:relative-detail", args=[relative.pk])).content.decode()
    assert "Safe housing (relatives)" in page
    add = reverse("outreach:measure-create", args=[case.pk]) + f"?relative={relative.pk}"
    assert add in page.replace("&amp;", "&")
    form = client.get(add).content.decode()
    assert 'value="crisis"' in form
    response = client.post(add, {"kind": "crisis", "status": "ongoing", "starts_on": _today(), "provider": "Jouren"})
    assert response.status_code == 302
    assert SupportMeasure.objects.filter(relative=relative, kind="crisis").exists()


def test_safe_housing_and_crisis_support_are_for_relatives_only(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:measure-create", args=[case.pk])
    form = client.get(url).content.decode()
    assert 'value="crisis"' not in form
    assert 'value="safe_housing"' not in form
    response = client.post(url, {"kind": "crisis", "status": "planned", "starts_on": _today()})
    assert response.status_code == 200
    assert not SupportMeasure.objects.filter(exit_case=case, kind="crisis", relative=None).exists()
    other = world["malmo_erik_case"]
    relative = services.relative_add(actor=world["erik"], case=other, name="X", relation="other")
    assert client.get(url + f"?relative={relative.pk}").status_code == 404
    assert client.get(url + "?relative=abc").status_code == 404


def test_a_relocation_names_where_from_and_to(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_exit_case"]
    client = as_user("sara")
    url = reverse("outreach:measure-create", args=[case.pk])
    response = client.post(url, {"kind": "relocation", "status": "planned", "starts_on": _today()})
    content = response.content.decode()
    assert "A relocation names where from and where to." in content
    response = client.post(url, {"kind": "work", "status": "planned", "starts_on": _today(), "to_municipality": "Lund"})
    assert "for a relocation only" in response.content.decode()
    response = client.post(
        url,
        {
            "kind": "relocation",
            "status": "planned",
            "starts_on": _today(),
            "from_municipality": "Malmö",
            "to_municipality": "Umeå",
            "moved_on": _today(10),
            "cost": "12000",
        },
    )
    assert response.status_code == 302
    measure = SupportMeasure.objects.get(exit_case=case, to_municipality="Umeå")
    assert measure.cost == 12000
    assert "Malmö → Umeå" in client.get(reverse("outreach:case-detail", args=[case.pk])).content.decode()


def test_measure_edit_conflict_shows_both_versions(world: dict[str, Any], as_user: Any) -> None:
    measure = world["malmo_measure"]
    url = reverse("outreach:measure-edit", args=[measure.pk])
    client = as_user("sara")
    assert "Växjö" in client.get(url).content.decode()
    services.measure_update(actor=world["erik"], measure=measure, version=measure.version, note="Eriks ändring")
    data = {
        "kind": "relocation",
        "status": "ongoing",
        "provider": measure.provider,
        "starts_on": measure.starts_on.isoformat(),
        "from_municipality": "Malmö",
        "to_municipality": "Kalmar",
        "note": "Saras ändring",
        "version": measure.version,
    }
    response = client.post(url, data)
    content = response.content.decode()
    assert "Someone else saved this measure while you were editing." in content
    assert "Eriks ändring" in content
    assert "Saras ändring" in content
    assert "Kalmar" in content
    measure.refresh_from_db()
    assert measure.note == "Eriks ändring"
    assert measure.to_municipality == "Växjö"
    data["version"] = measure.version
    assert client.post(url, data).status_code == 302
    measure.refresh_from_db()
    assert measure.to_municipality == "Kalmar"


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_police_and_others_get_404_on_measures_and_relatives(persona: str, world: dict[str, Any], as_user: Any) -> None:
    client = as_user(persona)
    case = world["malmo_exit_case"]
    for url in (
        reverse("outreach:measure-edit", args=[world["malmo_measure"].pk]),
        reverse("outreach:measure-create", args=[case.pk]),
        reverse("outreach:relative-detail", args=[world["malmo_relative"].pk]),
        reverse("outreach:relative-edit", args=[world["malmo_relative"].pk]),
        reverse("outreach:threat-create", args=[case.pk]),
    ):
        assert client.get(url).status_code == 404, url
    before = SupportMeasure.objects.count()
    assert client.post(reverse("outreach:measure-create", args=[case.pk]), {"kind": "work"}).status_code == 404
    assert SupportMeasure.objects.count() == before


def test_sara_gets_404_on_the_field_teams_entries(world: dict[str, Any], as_user: Any) -> None:
    case = world["malmo_field_case"]
    assert as_user("sara").get(reverse("outreach:measure-create", args=[case.pk])).status_code == 404
    assert as_user("erik").get(reverse("outreach:measure-create", args=[case.pk])).status_code == 200
