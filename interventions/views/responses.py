"""Pages of the response after an incident (placeholder: the pages are being built)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def incident_review(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def response_open(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def response_list(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def response_detail(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def response_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def response_close(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def task_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def task_assign(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def task_resolve(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def routine(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def routine_standard(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def routine_add(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def routine_edit(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404


def routine_remove(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    raise Http404
