"""Import (upload, preview, confirm) and export (CSV, XLSX) of incidents and memberships. Thin: the work is
in gvi.mapping.imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from gvi import access
from gvi.mapping import imports
from gvi.mapping.imports import Export, ImportKind, ImportResult, ImportUploadForm
from gvi.mapping.models import GroupMembership, Incident
from gvi.pages import staff_of

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class _ImportPage:
    kind: ImportKind
    model: type[models.Model]
    title: str
    preview: Callable[..., ImportResult]
    commit: Callable[..., ImportResult]
    done_url: str
    done_label: str
    export_url: str


def _pages() -> dict[ImportKind, _ImportPage]:
    return {
        ImportKind.INCIDENTS: _ImportPage(
            ImportKind.INCIDENTS,
            Incident,
            _("Import incidents"),
            imports.incidents_preview,
            imports.incidents_import,
            "mapping:incident-list",
            _("Incidents"),
            "mapping:export-incidents",
        ),
        ImportKind.MEMBERSHIPS: _ImportPage(
            ImportKind.MEMBERSHIPS,
            GroupMembership,
            _("Import memberships"),
            imports.memberships_preview,
            imports.memberships_import,
            "mapping:group-list",
            _("Groups"),
            "mapping:export-memberships",
        ),
    }


@require_http_methods(["GET", "POST"])
def import_incidents(request: HttpRequest) -> HttpResponse:
    return _import(request, ImportKind.INCIDENTS)


@require_http_methods(["GET", "POST"])
def import_memberships(request: HttpRequest) -> HttpResponse:
    return _import(request, ImportKind.MEMBERSHIPS)


def _import(request: HttpRequest, kind: ImportKind) -> HttpResponse:
    """GET: the upload form. POST a file: the preview. POST the signed rows back: the commit."""
    user = staff_of(request)
    page = _pages()[kind]
    access.require(user, "add", page.model)
    context: dict[str, Any] = {"page": page, "form": ImportUploadForm(kind=kind)}
    if request.method == "POST" and "payload" in request.POST:
        try:
            rows = imports.unsign_rows(actor=user, kind=kind, token=request.POST["payload"])
        except ValidationError as exc:
            context["payload_error"] = " ".join(exc.messages)
            return _render(request, page, context, status=400)
        result = page.commit(actor=user, rows=rows)
        if result.committed:
            messages.success(request, _summary(result, done=True))
            return redirect(page.done_url)
        context.update(result=result, summary=_summary(result, done=False))
        return _render(request, page, context)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, kind=kind)
        context["form"] = form
        if form.is_valid() and form.table is not None:
            result = page.preview(actor=user, rows=form.table.rows)
            context.update(
                result=result,
                summary=_summary(result, done=False),
                ignored_columns=form.table.ignored_columns,
                filename=form.table.filename,
                payload=imports.sign_rows(actor=user, kind=kind, table=form.table) if result.can_commit else "",
                form=ImportUploadForm(kind=kind),
            )
    return _render(request, page, context)


def _render(request: HttpRequest, page: _ImportPage, context: dict[str, Any], status: int = 200) -> HttpResponse:
    result: ImportResult | None = context.get("result")
    if result is not None:
        present = {name for row in result.rows for name in row.cells}
        names = [column.name for column in imports.COLUMNS[page.kind] if column.name in present]
        context["preview_columns"] = names
        context["preview_rows"] = [(row, [row.cells.get(name, "") for name in names]) for row in result.rows]
    context.update(
        columns=imports.COLUMNS[page.kind],
        title=page.title,
        export_csv=reverse(page.export_url, kwargs={"fmt": "csv"}),
        export_xlsx=reverse(page.export_url, kwargs={"fmt": "xlsx"}),
        max_rows=imports.MAX_ROWS,
        crumbs=[(reverse(page.done_url), page.done_label), (None, page.title)],
    )
    return render(request, "mapping/import.html", context, status=status)


def _summary(result: ImportResult, *, done: bool) -> str:
    new, skipped, rejected = len(result.new), len(result.skipped), len(result.rejected)
    if done:
        text = ngettext("%(count)s row imported.", "%(count)s rows imported.", new) % {"count": new}
    elif rejected:
        text = ngettext(
            "%(count)s row is rejected, so nothing can be imported.",
            "%(count)s rows are rejected, so nothing can be imported.",
            rejected,
        ) % {"count": rejected}
    elif new:
        text = ngettext("%(count)s row can be imported.", "%(count)s rows can be imported.", new) % {"count": new}
    else:
        text = _("Nothing new to import.")
    if skipped:
        text += " " + ngettext(
            "%(count)s row is already registered and is skipped.",
            "%(count)s rows are already registered and are skipped.",
            skipped,
        ) % {"count": skipped}
    return text


# --------------------------------------------------------------------------------------------------
# Exports


class _Echo:
    def write(self, value: str) -> str:
        return value


def _check_format(request: HttpRequest, fmt: str) -> HttpResponse | None:
    """404 for an unknown format; 405 for anything but GET (after the access check, so that outsiders
    get the same 404 whatever the method)."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    if request.method not in {"GET", "HEAD"}:
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def export_incidents(request: HttpRequest, fmt: str) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "export", Incident)
    if refused := _check_format(request, fmt):
        return refused
    form = imports.IncidentExportFilterForm(request.GET)
    if not form.is_valid():
        errors = [
            " ".join(str(e) for e in errs) if name == "__all__" else f"{name}: {' '.join(str(e) for e in errs)}"
            for name, errs in form.errors.items()
        ]
        return render(
            request,
            "mapping/import_export_error.html",
            {"errors": errors, "crumbs": [(reverse("mapping:incident-list"), _("Incidents")), (None, _("Export"))]},
            status=400,
        )
    return _respond(imports.incidents_export(actor=user, filters=form.filters()), fmt)


def export_memberships(request: HttpRequest, fmt: str) -> HttpResponse:
    user = staff_of(request)
    access.require(user, "export", GroupMembership)
    if refused := _check_format(request, fmt):
        return refused
    return _respond(imports.memberships_export(actor=user), fmt)


def _respond(export: Export, fmt: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{export.name}-{stamp}.{fmt}"
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(export), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(_xlsx_bytes(export), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]


def _csv_lines(export: Export) -> Iterator[str]:
    """UTF-8 with a BOM (Excel then reads å, ä, ö), comma-separated, one line per row."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(export.columns)
    for row in export.rows:
        yield writer.writerow(
            [imports.export_text(column, value) for column, value in zip(export.columns, row, strict=True)]
        )


def _xlsx_bytes(export: Export) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(export.name)
    sheet.append(export.columns)

    def cell(value: Any) -> Any:
        if isinstance(value, str):
            item = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
            item.data_type = "s"  # never a formula, whatever the text starts with
            return item
        item = WriteOnlyCell(sheet, value=value)
        if isinstance(value, datetime):
            item.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            item.number_format = "yyyy-mm-dd"
        return item

    for row in export.rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
