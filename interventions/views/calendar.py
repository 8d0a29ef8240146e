"""Calendar pages and the iCal feed (placeholder: the pages are being built)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def calendar(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def calendar_feed(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def calendar_ics(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
