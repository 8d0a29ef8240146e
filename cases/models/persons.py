"""Person: one agency's record of a human being, in one program.

The same human may be registered by several agencies; their records are linked only through a share
with a legal basis. That an agency holds a record on someone is itself confidential.
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.records import AgencyRecord, GroupGrant, UserGrant

# Contact details: hidden, when the identity is protected, from everyone but the owning caseworker.
CONTACT_FIELDS = ("address", "phone", "email")


def photo_path(_instance: models.Model, filename: str) -> str:
    # A random name: the stored file's name must not tell whose photo it is.
    return f"persons/photos/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class Person(AgencyRecord):
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    # Canonical form YYYYMMDD-NNNN, validated by cases.identity (check digit); empty when unknown.
    # NULL, not "", for unknown: the per-agency uniqueness must not treat every unknown number as one.
    identity_number = models.CharField(  # noqa: DJ001
        _("personnummer / samordningsnummer"), max_length=13, null=True, blank=True, default=None
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    protected_identity = models.BooleanField(
        _("protected identity"),
        default=False,
        help_text=_("Skyddad identitet: address data is hidden from everyone but the owning caseworker."),
    )
    interpreter_language = models.CharField(
        _("interpreter language"), max_length=50, blank=True, help_text=_("Leave empty when no interpreter is needed.")
    )
    address = models.TextField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    photo = models.FileField(_("photo"), upload_to=photo_path, blank=True, max_length=200)
    # Names and aliases folded for search (cases.names.fold); kept up to date by the services.
    search_key = models.CharField(max_length=1000, blank=True, default="", editable=False)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [
            ("view_person_identity", "Can view the identity of the person only"),
            ("view_person_contact", "Can view the contact details of a person with protected identity"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_agency", "identity_number"],
                condition=models.Q(identity_number__isnull=False),
                name="person_identity_number_unique_per_agency",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_year__gte=1900, birth_year__lte=2100), name="person_birth_year_plausible"
            ),
        ]
        indexes = [
            models.Index(Upper("family_name"), Upper("given_name"), name="person_name_upper"),
            models.Index(fields=["program", "-created_at"], name="person_program_created"),
            # The person list's default order (cases.selectors.PERSON_SORTS "name"): read in order, no sort.
            models.Index(fields=["program", "family_name", "given_name", "id"], name="person_program_name"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def birth_date(self) -> date | None:
        """From the identity number (a samordningsnummer's day is raised by 60); None when unknown."""
        if not self.identity_number:
            return None
        digits = self.identity_number[:8]
        day = int(digits[6:8])
        return date(int(digits[:4]), int(digits[4:6]), day - 60 if day > 60 else day)

    def age_bounds(self, on: date | None = None) -> tuple[int, int]:
        """The youngest and oldest the person can be on a day: exact with a birth date, two years apart
        with only the birth year."""
        on = on or timezone.localdate()
        born = self.birth_date
        if born is None:
            return on.year - self.birth_year - 1, on.year - self.birth_year
        age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return age, age

    def may_be_minor(self, on: date | None = None) -> bool:
        """Possibly under 18: guardians are recorded and their consent is asked for."""
        return self.age_bounds(on)[0] < 18

    def surely_under(self, age: int, on: date | None = None) -> bool:
        return self.age_bounds(on)[1] < age


class PersonUserObjectPermission(UserGrant):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)


class PersonGroupObjectPermission(GroupGrant):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)

    class Meta(GroupGrant.Meta):
        indexes = [GroupGrant.read_index("person_group_grant_read")]


class PersonAlias(models.Model):
    """Another name the person goes by: an alias or a nickname. Follows its person's grants."""

    class Kind(models.TextChoices):
        ALIAS = "alias", _("Alias")
        NICKNAME = "nickname", _("Nickname")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ALIAS)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [models.UniqueConstraint(fields=["person", "name"], name="person_alias_unique")]
        indexes = [models.Index(Upper("name"), name="person_alias_name_upper")]

    def __str__(self) -> str:
        return self.name


class Guardian(models.Model):
    """A guardian (vårdnadshavare) of a person under 18. Their contact details are protected like the
    person's. Follows its person's grants."""

    class Relation(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        OTHER = "other", _("Other guardian")
        APPOINTED = "appointed", _("Appointed guardian (särskilt förordnad)")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardians")
    name = models.CharField(_("name"), max_length=200)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return self.name
