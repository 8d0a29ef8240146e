"""Persons over the API, with their aliases, guardians and photo: the same policy, services and audit
as the pages.

Contact details of a person with protected identity (and of their guardians) are for the owning
caseworker only: anyone else reads them as null and gets a 400 on the field when sending one. A user
who holds only the identity of a person (shared by another agency) reads only that identity.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponseBase
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases import selectors, services
from cases.api.base import (
    PURPOSE,
    CaseViewSet,
    PersonFilterSerializer,
    contact_shown_annotation,
    id_field,
    require_role,
    visible_person,
)
from cases.identity import parse_identity_number
from cases.models import Guardian, Person, PersonAlias
from cases.models.persons import CONTACT_FIELDS
from gvi import access
from gvi.accounts.models import Staff
from gvi.api import RecordViewSet, etag, staff_of
from gvi.audit.models import AuditAction
from gvi.audit.services import audit_record, audit_shown
from gvi.uploads import download

CONTACT_HIDDEN = _("Only the owning caseworker may change the contact details of a protected identity.")
CONTACT_HELP = (
    "Null when the identity is protected and you are not the owning caseworker; such a user may not send it. "
    "Send null to leave it unchanged."
)


class ContactMaskMixin:
    """Masks the contact fields of a record whose person has a protected identity the reader may not see
    the contact details of. Lists annotate `contact_shown`; a single record is asked about once."""

    context: dict[str, Any]

    def person_of(self, instance: Any) -> Person:
        raise NotImplementedError

    def contact_shown(self, instance: Any) -> bool:
        shown = getattr(instance, "contact_shown", None)
        if shown is None:
            shown = services.contact_visible(staff_of(self.context["request"]), self.person_of(instance))
            instance.contact_shown = shown
        return bool(shown)

    def masked(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        if not self.contact_shown(instance):
            for field in CONTACT_FIELDS:
                data[field] = None
        return data


def _drop_null_contact(attrs: dict[str, Any]) -> dict[str, Any]:
    """Null is what a masked reader got back: it leaves the field as it is."""
    return {key: value for key, value in attrs.items() if not (key in CONTACT_FIELDS and value is None)}


def _contact_field(max_length: int) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, allow_null=True, help_text=CONTACT_HELP
    )


def _email_field() -> serializers.EmailField:
    return serializers.EmailField(required=False, allow_blank=True, allow_null=True, help_text=CONTACT_HELP)


# --------------------------------------------------------------------------------------------------
# Persons


class AliasBriefSerializer(serializers.ModelSerializer[PersonAlias]):
    # Plain text here: the kinds are described once, on the alias endpoint.
    kind = serializers.CharField(read_only=True, help_text="alias or nickname")

    class Meta:
        model = PersonAlias
        fields = ["id", "name", "kind"]
        read_only_fields = fields


class PersonSerializer(ContactMaskMixin, serializers.ModelSerializer[Person]):
    identity_number = serializers.CharField(max_length=13, required=False, allow_null=True, allow_blank=True)
    birth_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    address = _contact_field(300)
    phone = _contact_field(40)
    email = _email_field()
    aliases = serializers.SerializerMethodField(help_text="Aliases and nicknames (change them at /api/aliases/).")
    confirm_new = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="On create: register a new person even though records you may see look like the same person "
        "(without it such a create answers 409 with those records). Ignored on update.",
    )
    has_photo = serializers.SerializerMethodField(help_text="Download, upload or remove it at photo/.")

    class Meta:
        model = Person
        fields = [
            "id",
            "given_name",
            "family_name",
            "identity_number",
            "birth_year",
            "protected_identity",
            "interpreter_language",
            "address",
            "phone",
            "email",
            "aliases",
            "has_photo",
            "confirm_new",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "version", "created_at", "updated_at"]

    def person_of(self, instance: Person) -> Person:
        return instance

    @extend_schema_field(AliasBriefSerializer(many=True))
    def get_aliases(self, obj: Person) -> list[dict[str, Any]]:
        aliases = getattr(obj, "visible_aliases", None)
        if aliases is None:
            aliases = list(selectors.person_aliases(staff_of(self.context["request"]), obj))
        return AliasBriefSerializer(aliases, many=True).data  # type: ignore[return-value]

    def get_has_photo(self, obj: Person) -> bool:
        return bool(obj.photo)

    def validate_identity_number(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return parse_identity_number(value).canonical
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = _drop_null_contact(attrs)
        if self.instance is not None and not self.contact_shown(self.instance):
            sent = [field for field in CONTACT_FIELDS if field in attrs]
            if sent:
                raise serializers.ValidationError({field: [CONTACT_HIDDEN] for field in sent})
        return attrs

    def to_representation(self, instance: Person) -> dict[str, Any]:
        return self.masked(instance, super().to_representation(instance))


class DuplicateSerializer(serializers.ModelSerializer[Person]):
    class Meta:
        model = Person
        fields = ["id", "given_name", "family_name", "birth_year"]
        read_only_fields = fields


class DuplicatesSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    duplicates = DuplicateSerializer(many=True)


DUPLICATES_FOUND = _(
    "Records you may see look like the same person (the same identity number, or the same name and birth date). "
    'Use one of them, or send "confirm_new": true to register a new person.'
)
DUPLICATE_CHECK = "duplicate check"


class DuplicatesFound(Exception):
    def __init__(self, duplicates: list[Person]) -> None:
        super().__init__("duplicates found")
        self.duplicates = duplicates


def _possible_duplicates(user: Staff, data: dict[str, Any]) -> list[Person]:
    """Records the caller may see that may be the person about to be registered."""
    return list(
        selectors.person_duplicates(
            user=user,
            given_name=data.get("given_name", ""),
            family_name=data.get("family_name", ""),
            identity_number=data.get("identity_number"),
            birth_year=data.get("birth_year"),
        )
    )


class PersonListFilterSerializer(serializers.Serializer[Any]):
    """List parameters. No search term here: searches go by POST on the page, out of URLs and logs."""

    sort = serializers.ChoiceField(choices=sorted(selectors.PERSON_SORTS), required=False, default="name")


class PhotoUploadSerializer(serializers.Serializer[Any]):
    photo = serializers.FileField(help_text="A JPEG or PNG image, at most 5 MB.")


def _with_aliases(user: Staff, persons: QuerySet[Person]) -> QuerySet[Person]:
    aliases = access.visible(user, PersonAlias).order_by("name", "id")
    return persons.prefetch_related(Prefetch("aliases", queryset=aliases, to_attr="visible_aliases"))


@extend_schema(tags=["persons"])
class PersonViewSet(RecordViewSet):
    """Persons your agency holds and your role lets you see; a person another agency shared only the
    identity of reads as that identity. Updates need If-Match (the ETag of a read)."""

    model = Person
    serializer_class = PersonSerializer
    filter_serializer_class = PersonListFilterSerializer
    audit_purpose = PURPOSE

    @extend_schema(parameters=[PersonListFilterSerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def filtered_queryset(self, user: Staff, filters: dict[str, Any]) -> QuerySet[Person]:
        persons = selectors.person_list(user=user, sort=filters["sort"])
        return _with_aliases(user, persons).annotate(contact_shown=contact_shown_annotation(user))

    def for_response(self, user: Staff, obj: Person) -> Person:
        obj.visible_aliases = list(selectors.person_aliases(user, obj))  # type: ignore[attr-defined]
        return obj

    @extend_schema(
        description="The person in full, or only the identity fields (id, given_name, family_name, birth_year) "
        "when another agency shared only the identity with you."
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = staff_of(request)
        person, full = selectors.person_for(user, kwargs["pk"], purpose=PURPOSE)
        if not full:
            return Response({field: getattr(person, field) for field in access.partial_fields(Person, "view_identity")})
        person = self.for_response(user, person)
        return Response(self.get_serializer(person).data, headers={"ETag": etag(person)})

    @extend_schema(
        description="Register a person. When records you may see have the same identity number, or the same "
        'name and birth date, the answer is 409 with those records, unless the body says "confirm_new": true.',
        responses={201: PersonSerializer, 409: DuplicatesSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().create(request, *args, **kwargs)
        except DuplicatesFound as found:
            body = {
                "detail": str(DUPLICATES_FOUND),
                "duplicates": DuplicateSerializer(found.duplicates, many=True).data,
            }
            return Response(body, status=status.HTTP_409_CONFLICT)

    def create_record(self, user: Staff, data: dict[str, Any]) -> Person:
        if not data.pop("confirm_new", False):
            duplicates = _possible_duplicates(user, data)
            number = data.get("identity_number")
            # A record with the same number is not a maybe: the service refuses a second one (400).
            if duplicates and not any(number and d.identity_number == number for d in duplicates):
                audit_shown(
                    actor=user,
                    object_type=Person._meta.label_lower,
                    ids=[p.pk for p in duplicates],
                    purpose=DUPLICATE_CHECK,
                )
                raise DuplicatesFound(duplicates)
        return services.person_create(actor=user, purpose=PURPOSE, **data)

    def update_record(self, user: Staff, obj: Person, data: dict[str, Any]) -> Person:
        data.pop("confirm_new", None)
        return services.person_update(actor=user, person=obj, version=obj.version, purpose=PURPOSE, **data)

    # The photo: download, upload (multipart), remove ----------------------------------------------

    @extend_schema(
        summary="Download the person's photo",
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="No such person, or no photo."),
        },
    )
    @action(detail=True, methods=["get"], parser_classes=[MultiPartParser, FormParser])
    def photo(self, request: Request, pk: str) -> HttpResponseBase:
        user = staff_of(request)
        person = access.get_visible_or_404(user, Person, pk, purpose=PURPOSE, audit=False)
        if not person.photo:
            raise NotFound
        audit_record(
            actor=user, action=AuditAction.VIEW, obj=person, purpose=PURPOSE, detail={"access": "view", "file": "photo"}
        )
        return download(person.photo, filename=f"person-{person.pk}", inline=True)

    @extend_schema(
        summary="Upload (or replace) the person's photo",
        request={"multipart/form-data": PhotoUploadSerializer},
        responses=PersonSerializer,
    )
    @photo.mapping.put
    def photo_upload(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE, audit=False)
        upload = PhotoUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        person = services.person_photo_set(actor=user, person=person, upload=upload.validated_data["photo"])
        person = self.for_response(user, person)
        return Response(self.get_serializer(person).data, headers={"ETag": etag(person)})

    @extend_schema(summary="Remove the person's photo", responses={204: None})
    @photo.mapping.delete
    def photo_remove(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        person = access.get_visible_or_404(user, Person, pk, action="change", purpose=PURPOSE, audit=False)
        services.person_photo_remove(actor=user, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --------------------------------------------------------------------------------------------------
# Aliases and guardians: listed, added and removed (never edited)


class AliasSerializer(serializers.ModelSerializer[PersonAlias]):
    person = id_field(source="person_id", help_text="Your agency's record of the person.")

    class Meta:
        model = PersonAlias
        fields = ["id", "person", "name", "kind", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: ClassVar[list[Any]] = []  # one name per person: the service's check


class GuardianSerializer(ContactMaskMixin, serializers.ModelSerializer[Guardian]):
    person = id_field(source="person_id", help_text="Your agency's record of the person (under 18).")
    phone = _contact_field(40)
    email = _email_field()
    address = _contact_field(300)

    class Meta:
        model = Guardian
        fields = ["id", "person", "name", "relation", "phone", "email", "address", "created_at"]
        read_only_fields = ["id", "created_at"]

    def person_of(self, instance: Guardian) -> Person:
        return instance.person

    def to_representation(self, instance: Guardian) -> dict[str, Any]:
        return self.masked(instance, super().to_representation(instance))


class PersonPartViewSet(CaseViewSet):
    """List (optionally of one person), add through a service, remove through a service."""

    def list(self, request: Request) -> Response:
        user = staff_of(request)
        access.require(user, "view", self.model)
        filters = self.filters(request, PersonFilterSerializer)
        items = self.get_queryset()
        if "person" in filters:
            items = items.filter(person_id=filters["person"])
        return self.audited_page(
            user, self.for_list(user, items.order_by("person_id", "name", "id")), self.serializer_class
        )

    def for_list(self, user: Staff, items: QuerySet[Any]) -> QuerySet[Any]:
        return items

    def create(self, request: Request) -> Response:
        user = staff_of(request)
        require_role(user, "add", self.model)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = visible_person(user, data.pop("person_id"), action="change")
        obj = self.add(user, person, data)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        user = staff_of(request)
        obj = access.get_visible_or_404(user, self.model, pk, action="change", purpose=PURPOSE, audit=False)
        self.remove(user, obj)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def add(self, user: Staff, person: Person, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def remove(self, user: Staff, obj: Any) -> None:
        raise NotImplementedError


@extend_schema(tags=["persons"])
class AliasViewSet(PersonPartViewSet):
    """Aliases and nicknames of your agency's person records."""

    model = PersonAlias
    serializer_class = AliasSerializer

    @extend_schema(parameters=[PersonFilterSerializer])
    def list(self, request: Request) -> Response:
        return super().list(request)

    def add(self, user: Staff, person: Person, data: dict[str, Any]) -> PersonAlias:
        return services.alias_add(actor=user, person=person, **data)

    def remove(self, user: Staff, obj: PersonAlias) -> None:
        services.alias_remove(actor=user, alias=obj)


@extend_schema(tags=["persons"])
class GuardianViewSet(PersonPartViewSet):
    """Guardians (vårdnadshavare) of your agency's person records under 18. A guardian who gave a recorded
    consent stays on record (400)."""

    model = Guardian
    serializer_class = GuardianSerializer

    @extend_schema(parameters=[PersonFilterSerializer])
    def list(self, request: Request) -> Response:
        return super().list(request)

    def for_list(self, user: Staff, items: QuerySet[Guardian]) -> QuerySet[Guardian]:
        return items.annotate(contact_shown=contact_shown_annotation(user, "person"))

    def add(self, user: Staff, person: Person, data: dict[str, Any]) -> Guardian:
        data = _drop_null_contact(data)
        guardian = services.guardian_add(actor=user, person=person, **data)
        guardian.contact_shown = services.contact_visible(user, person)  # type: ignore[attr-defined]
        return guardian

    def remove(self, user: Staff, obj: Guardian) -> None:
        services.guardian_remove(actor=user, guardian=obj)


__all__ = ["AliasViewSet", "GuardianViewSet", "PersonSerializer", "PersonViewSet"]
