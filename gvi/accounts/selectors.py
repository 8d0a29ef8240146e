"""Reads of accounts data. A user sees their own tokens only."""

from __future__ import annotations

from django.db.models import QuerySet

from gvi.accounts.models import ApiToken, Staff


def api_tokens_of(*, user: Staff) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_of(*, user: Staff, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()
