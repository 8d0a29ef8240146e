"""Refusing to serve without a real configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

NO_SECRET_KEY = "SECRET_KEY must be set when DEBUG is off."  # noqa: S105 - a message, not a key


def require_secret_key() -> None:
    """Called where the application starts serving (WSGI, ASGI, Celery worker and beat)."""
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENVIRONMENT:
        raise ImproperlyConfigured(NO_SECRET_KEY)


@register(Tags.security, deploy=True)
def check_secret_key_configured(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.SECRET_KEY_FROM_ENVIRONMENT:
        return []
    return [Error(NO_SECRET_KEY, hint="Set SECRET_KEY in the environment (see .env.example).", id="gvi.E001")]
