"""Login with password and TOTP, enrolment, logout, API tokens."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.accounts import selectors, services
from gvi.accounts.forms import ApiTokenForm, LoginForm, OtpTokenForm
from gvi.accounts.middleware import has_confirmed_device
from gvi.accounts.models import Staff

GENERIC_LOGIN_ERROR = gettext_lazy("The username, password or one-time code is wrong.")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            return locked_out(request)
        if user is not None:
            # Authentication itself: no session exists yet for the access policy to scope by.
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                login(request, user)
                return redirect("accounts:enrol")
            if device.verify_token(form.cleaned_data["otp_token"] or ""):
                login(request, user)
                otp_login(request, device)
                return HttpResponseRedirect(_safe_next(request))
            # A right password with a wrong code is still a failed login: it counts toward the lockout.
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
        form.add_error(None, GENERIC_LOGIN_ERROR)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def locked_out(request: HttpRequest, original_response: Any = None, credentials: Any = None) -> HttpResponse:
    """django-axes' lockout response: the same page for every username, so it reveals nothing."""
    context = {
        "form": LoginForm(),
        "next": "",
        "locked": _("Too many failed logins. This account is locked for 15 minutes."),
    }
    return render(request, "accounts/login.html", context, status=403)


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First login: show the TOTP secret (QR code and text) and confirm it with a code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if has_confirmed_device(user):
        raise Http404
    assert isinstance(user, Staff)
    device = services.totp_device_for_enrolment(staff=user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(staff=user, device=device, token=form.cleaned_data["otp_token"]):
            otp_login(request, device)
            messages.success(request, _("Two-factor login is set up."))
            return redirect("home")
        form.add_error("otp_token", _("The code does not match. Check the time on your phone and try again."))
    qr = segno.make(device.config_url, error="m")
    context = {
        "form": form,
        "qr_data_uri": qr.svg_data_uri(scale=4, dark="#000", light="#fff"),
        "secret": _base32(device.bin_key),
    }
    return render(request, "accounts/enrol.html", context)


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Logging out ends every session of the user, on every device."""
    if request.user.is_authenticated:
        assert isinstance(request.user, Staff)
        services.staff_logout(staff=request.user)
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    form = ApiTokenForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _token, new_token = services.api_token_issue(
            actor=user,
            name=form.cleaned_data["name"],
            session_verified=user.is_verified(),  # type: ignore[attr-defined]
        )
        form = ApiTokenForm()
    tokens = selectors.api_tokens_of(user=user)
    context = {"form": form, "tokens": tokens, "new_token": new_token, "crumbs": [(None, _("API tokens"))]}
    return render(request, "accounts/api_tokens.html", context)


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, Staff)
    token = selectors.api_token_of(user=user, pk=pk)
    if token is None:
        raise Http404
    services.api_token_revoke(actor=user, token=token)
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:api-tokens")
