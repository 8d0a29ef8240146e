"""The start page of each role, and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from gvi.accounts.models import Staff
from gvi.panels import panels_for


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    return render(request, "home.html", {"panels": panels_for(user)})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and compose: answers 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
