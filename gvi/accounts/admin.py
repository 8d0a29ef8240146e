"""Django admin for programs, agencies, teams and staff only. No case data is registered here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gvi.accounts import services
from gvi.accounts.models import Agency, ApiToken, Program, Staff, Team


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin[Program]):
    list_display = ["name", "slug", "emergency_access_allowed"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin[Agency]):
    list_display = ["name", "kind"]
    list_filter = ["kind", "programs"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Staff)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "agency", "team", "is_active"]
    list_filter = ["role", "agency", "program", "is_active"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Sluta skjut"), {"fields": ("program", "agency", "team", "role")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Sluta skjut"), {"fields": ("program", "agency", "team", "role")}),
    )
    actions = ["deactivate", "reset_mfa"]

    @admin.action(description=_("Deactivate and end all sessions"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Staff]) -> None:
        for staff in queryset:
            services.staff_deactivate(actor=request.user, staff=staff)  # type: ignore[arg-type]
        messages.success(request, _("Deactivated; their sessions and tokens are ended."))

    @admin.action(description=_("Reset two-factor device"))
    def reset_mfa(self, request: HttpRequest, queryset: QuerySet[Staff]) -> None:
        for staff in queryset:
            services.staff_mfa_reset(actor=request.user, staff=staff)  # type: ignore[arg-type]
        messages.success(request, _("Two-factor devices reset; they enrol again at their next login."))

    def save_model(self, request: HttpRequest, obj: Staff, form: Any, change: bool) -> None:
        before = Staff.objects.filter(pk=obj.pk).values(*services.ACCESS_FIELDS).first() if change else {}
        super().save_model(request, obj, form, change)
        if before and before["is_active"] and not obj.is_active:
            services.staff_deactivate(actor=request.user, staff=obj)  # type: ignore[arg-type]
        services.staff_access_changed(actor=request.user, staff=obj, before=before or {})  # type: ignore[arg-type]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["user", "name", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(actor=request.user, token=token)  # type: ignore[arg-type]
