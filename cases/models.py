"""Person: one agency's record of a human being, in one program.

The same human may be registered by several agencies; their records are linked only through a share
with a legal basis. That an agency holds a record on someone is itself confidential.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from gvi.records import AgencyRecord


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

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        permissions = [("view_person_identity", "Can view the identity of the person only")]
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
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class PersonUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)


class PersonGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Person, on_delete=models.CASCADE)
