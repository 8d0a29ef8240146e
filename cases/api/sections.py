"""Agency sections and their journals over the API: the same policy, selectors, services and audit as the
section pages.

A section reaches another agency only through a share: in full (fields and journal) or as a summary,
which reads as the fields the policy declares for `view_summary` (access.PARTIAL_FIELDS) with
`"full": false`, and has no journal (404). Journal notes are append-only: there is no endpoint to edit or
delete one; a correction is a new note naming the note it corrects.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors, services
from cases.api.base import PURPOSE, PersonFilterSerializer, id_field, require_role, visible_person
from cases.forms.sections import probation_officers
from cases.models import JournalNote, PoliceSection, ProbationSection, Section, SocialSection
from cases.models.sections import SECTION_KINDS
from cases.selectors import SectionView
from cases.services.sections import SECTION_FIELDS
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import BoundedDateField, RecordViewSet, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record

SET_WHEN_CREATED = "Set when the section is opened; updates leave it unchanged."
CHOOSE_OFFICER = _("Choose a probation officer of your own agency.")
CHOOSE_NOTE = _("A correction must refer to a note of the same section.")
DATES_ORDERED = _("The end date must be on or after the start date.")

_HEAD = ["id", "kind", "full", "person", "owner_agency"]
_TAIL = ["version", "created_at", "updated_at"]


class SectionSerializer(serializers.ModelSerializer[Section]):
    """A section in full; a reader who holds only its summary gets the summary fields, `kind` and
    `"full": false` (the viewset marks each row with `shown_in_full`)."""

    kind = serializers.SerializerMethodField(help_text="police, social or probation")
    full = serializers.SerializerMethodField(help_text="False: a summary shared with you (no notes, no journal).")
    person = id_field(source="person_id", help_text=f"Your agency's record of the person. {SET_WHEN_CREATED}")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["person"].read_only = True
            fields["person"].required = False
        return fields

    def get_kind(self, obj: Section) -> str:
        return obj.kind

    def get_full(self, obj: Section) -> bool:
        return _in_full(obj)

    def to_representation(self, instance: Section) -> dict[str, Any]:
        data = super().to_representation(instance)
        if _in_full(instance):
            return data
        summary = access.partial_fields(type(instance), "view_summary")
        return {**{name: data[name] for name in summary}, "kind": instance.kind, "full": False}


def _in_full(section: Section) -> bool:
    # Fail closed: a row nobody marked shows as a summary.
    return bool(getattr(section, "shown_in_full", False))


class PoliceSectionSerializer(SectionSerializer):
    class Meta:
        model = PoliceSection
        fields = [*_HEAD, *SECTION_FIELDS["police"], *_TAIL]
        read_only_fields = ["id", "owner_agency", *_TAIL]
        validators: ClassVar[list[Any]] = []  # one section per person: the service's check


class SocialSectionSerializer(SectionSerializer):
    class Meta:
        model = SocialSection
        fields = [*_HEAD, *SECTION_FIELDS["social"], *_TAIL]
        read_only_fields = ["id", "owner_agency", *_TAIL]
        validators: ClassVar[list[Any]] = []


class ProbationSectionSerializer(SectionSerializer):
    period_start = BoundedDateField(required=False, allow_null=True)
    period_end = BoundedDateField(required=False, allow_null=True)
    probation_officer = id_field(
        source="probation_officer_id",
        required=False,
        allow_null=True,
        help_text="A probation officer of your own agency (staff id); they get access to the section.",
    )

    class Meta:
        model = ProbationSection
        fields = [*_HEAD, *SECTION_FIELDS["probation"], *_TAIL]
        read_only_fields = ["id", "owner_agency", *_TAIL]
        validators: ClassVar[list[Any]] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": [DATES_ORDERED]})
        return attrs


class NoteSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.SerializerMethodField()
    corrects = serializers.IntegerField(source="corrects_id", read_only=True, allow_null=True)

    def get_author_name(self, obj: JournalNote) -> str:
        return obj.author.get_full_name() or obj.author.get_username()


class NoteCreateSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=10000, help_text="The entry. It cannot be edited afterwards.")
    corrects = id_field(required=False, allow_null=True, help_text="The note of this section this one corrects.")


class SectionViewSet(RecordViewSet):
    """One kind of agency section. Lists show what you see in full and the summaries shared with you;
    updates need If-Match (the ETag of a read)."""

    kind: ClassVar[str]
    filter_serializer_class = PersonFilterSerializer
    audit_purpose = PURPOSE

    @extend_schema(parameters=[PersonFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Section]:
        model = self.model
        in_full = access.visible(user, model)
        sections = in_full | access.visible(user, model, "view_summary")
        if "person" in filters:
            # The record itself, and records of other agencies linked to it by a share that still works.
            linked = selectors.active_shares(user).filter(recipient_person_id=filters["person"]).values("person_id")
            sections = sections.filter(Q(person_id=filters["person"]) | Q(person_id__in=linked))
        shown_in_full = Case(
            When(pk__in=in_full.values("pk"), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
        return sections.annotate(shown_in_full=shown_in_full).order_by("-updated_at", "-id")

    def for_response(self, user: Staff, obj: Section) -> Section:
        # Whoever opened or changed the section holds it in full.
        obj.shown_in_full = True  # type: ignore[attr-defined]
        return obj

    @extend_schema(description="The section in full, or its summary (`full: false`) when that is what was shared.")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view = selectors.section_for(staff_of(request), self.kind, kwargs["pk"], purpose=PURPOSE)
        view.section.shown_in_full = view.full  # type: ignore[attr-defined]
        headers = {"ETag": etag(view.section)} if view.full else {}
        return Response(self.get_serializer(view.section).data, headers=headers)

    def _officer(self, user: Staff, data: dict[str, Any]) -> dict[str, Any]:
        if "probation_officer_id" not in data:
            return data
        pk = data.pop("probation_officer_id")
        officer = None if pk is None else probation_officers(user).filter(pk=pk).first()
        if pk is not None and officer is None:
            raise serializers.ValidationError({"probation_officer": [CHOOSE_OFFICER]})
        return {**data, "probation_officer": officer}

    def create_record(self, user: Staff, data: dict[str, Any]) -> Section:
        person = visible_person(user, data.pop("person_id"), action="change")
        return services.section_create(actor=user, person=person, kind=self.kind, **self._officer(user, data))

    def update_record(self, user: Staff, obj: Section, data: dict[str, Any]) -> Section:
        return services.section_update(actor=user, section=obj, version=obj.version, **self._officer(user, data))

    # The journal ------------------------------------------------------------------------------------

    @extend_schema(
        summary="The section's journal, newest first",
        description="404 when the section was shared with you as a summary only.",
        request=None,
        responses=NoteSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=())
    def notes(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        model, note_model = SECTION_KINDS[self.kind]
        access.require(user, "view", note_model)
        section = access.get_visible_or_404(user, model, pk, purpose=PURPOSE)
        journal = selectors.section_journal(user, SectionView(self.kind, section, True, None))
        page = self.paginate_queryset(journal)
        assert page is not None
        audit_record(
            actor=user,
            action=AuditAction.LIST,
            object_type=note_model._meta.label_lower,
            object_ids=[note.pk for note in page],
            purpose=PURPOSE,
            detail={"shown_on": f"{model._meta.label_lower}:{section.pk}"},
        )
        return self.get_paginated_response(NoteSerializer(page, many=True).data)

    @extend_schema(
        summary="Append a note to the section's journal",
        request=NoteCreateSerializer,
        responses={201: NoteSerializer},
    )
    @notes.mapping.post
    def note_add(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        model, note_model = SECTION_KINDS[self.kind]
        require_role(user, "add", note_model)
        section = access.get_visible_or_404(user, model, pk, action="change", purpose=PURPOSE, audit=False)
        body = NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        corrects = None
        if body.validated_data.get("corrects") is not None:
            notes = access.visible(user, note_model).filter(**{"section_id": section.pk})
            corrects = notes.filter(pk=body.validated_data["corrects"]).first()
            if corrects is None:
                raise serializers.ValidationError({"corrects": [CHOOSE_NOTE]})
        note = services.note_add(actor=user, section=section, text=body.validated_data["text"], corrects=corrects)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["case files"])
class PoliceSectionViewSet(SectionViewSet):
    __doc__ = SectionViewSet.__doc__
    kind = "police"
    model = PoliceSection
    serializer_class = PoliceSectionSerializer


@extend_schema(tags=["case files"])
class SocialSectionViewSet(SectionViewSet):
    __doc__ = SectionViewSet.__doc__
    kind = "social"
    model = SocialSection
    serializer_class = SocialSectionSerializer


@extend_schema(tags=["case files"])
class ProbationSectionViewSet(SectionViewSet):
    __doc__ = SectionViewSet.__doc__
    kind = "probation"
    model = ProbationSection
    serializer_class = ProbationSectionSerializer


__all__ = ["PoliceSectionViewSet", "ProbationSectionViewSet", "SocialSectionViewSet"]
