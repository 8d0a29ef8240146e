"""Enforcement-round pages (placeholder: the pages are being built)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def round_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def round_create(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def round_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def round_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def round_end(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def action_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def action_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def action_remove(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def action_result(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
