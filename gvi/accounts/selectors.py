"""Reads of accounts data. A user sees their own tokens only.

Tokens are not case data and belong to one user, so these filter on the user directly rather than going
through gvi/access.py (which governs case records)."""

from __future__ import annotations

from django.db.models import QuerySet

from gvi.accounts.models import ApiToken, Staff


def api_tokens_of(*, user: Staff) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_of(*, user: Staff, pk: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=pk).first()
