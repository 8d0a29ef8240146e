"""Reading an uploaded .csv or .xlsx into rows of text, and carrying them signed from preview to confirm."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, cast

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gvi.accounts.models import Staff
from gvi.mapping.imports.columns import COLUMNS, DATE_FORMAT, DATETIME_FORMAT, ImportKind
from gvi.spreadsheet import strip_formula_guard

# Keep the upload field's help text in step with these two.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
MAX_COLUMNS = 50
SIGNING_SALT = "gvi.mapping.import"
PAYLOAD_MAX_AGE = 60 * 60  # seconds between preview and confirm


@dataclass(frozen=True)
class SourceRow:
    """One data row of the file: its line number (the header is line 1) and its cells by column name."""

    line: int
    cells: dict[str, str]


@dataclass
class Table:
    columns: list[str]
    rows: list[SourceRow]
    ignored_columns: list[str] = field(default_factory=list)
    filename: str = ""


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.replace("\ufeff", "").strip().casefold())


def _cell_text(value: Any) -> str:
    """A spreadsheet cell as text: dates as YYYY-MM-DD (HH:MM), whole numbers without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time.min:
            return value.strftime(DATE_FORMAT)
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(DATE_FORMAT)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, then Windows-1252 / Latin-1 as Excel writes Swedish CSV."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ValidationError(_("The file could not be read as text."), code="undecodable") from None
    if b"\x00" in data:
        raise ValidationError(
            _("This does not look like a CSV file. Save the sheet as CSV or XLSX and upload it again."),
            code="not_text",
        )
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file could not be read as text."), code="undecodable")  # pragma: no cover


def _delimiter(text: str) -> str:
    """',' or ';' (or a tab), whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            rows.append((start, [cell.strip() for cell in cells]))
            start = reader.line_num + 1
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise ValidationError(
            _("The file could not be read as CSV near line %(line)s: %(error)s") % {"line": start, "error": exc},
            code="bad_csv",
        ) from None
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors for a broken file
        raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx)."), code="bad_xlsx") from None
    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            rows.append((number, [_cell_text(value) for value in values]))
            if len(rows) > MAX_ROWS + 1:
                break
    except Exception:  # noqa: BLE001 - a sheet can be broken in many ways
        raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx)."), code="bad_xlsx") from None
    finally:
        workbook.close()
    return rows


def read_upload(upload: UploadedFile, *, kind: ImportKind) -> Table:
    """Read an uploaded .csv or .xlsx into rows of text. Raises ValidationError with a clear message."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].casefold() if "." in name else ""
    if extension not in {"csv", "xlsx"}:
        raise ValidationError(_("Upload a .csv or .xlsx file."), code="file_type")
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s MB. Split it into smaller files.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="file_size",
        )
    upload.seek(0)
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The file is larger than %(limit)s MB. Split it into smaller files.")
            % {"limit": MAX_UPLOAD_BYTES // (1024 * 1024)},
            code="file_size",
        )
    if not data.strip():
        raise ValidationError(_("The file is empty."), code="empty")
    if extension == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise ValidationError(_("The file could not be read as an Excel workbook (.xlsx)."), code="bad_xlsx")
        raw_rows = _read_xlsx(data)
    else:
        if data.startswith(b"PK\x03\x04"):
            raise ValidationError(
                _("This looks like an Excel workbook: name it .xlsx, or save it as CSV."), code="file_type"
            )
        raw_rows = _read_csv(data)
    return _table(raw_rows, kind=kind, filename=name)


def _table(raw_rows: list[tuple[int, list[str]]], *, kind: ImportKind, filename: str) -> Table:
    if not raw_rows or not any(raw_rows[0][1]):
        raise ValidationError(_("The first line must name the columns."), code="no_header")
    header = [_normalise_header(cell) for cell in raw_rows[0][1]]
    while header and not header[-1]:
        header.pop()
    known = {column.name: column for column in COLUMNS[kind]}
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise ValidationError(
                _("The column %(column)s appears twice in the first line.") % {"column": name}, code="header"
            )
        seen.add(name)
    missing = [column.name for column in COLUMNS[kind] if column.required and column.name not in seen]
    if kind is ImportKind.MEMBERSHIPS and not seen & {"person", "person_id"}:
        missing.append("person")
    if missing:
        raise ValidationError(
            _("The first line lacks the columns: %(columns)s. See the table of columns below.")
            % {"columns": ", ".join(missing)},
            code="header",
        )
    used = [name for name in header if name in known and known[name].imported]
    ignored = [name for name in header if name and (name not in known or not known[name].imported)]
    rows: list[SourceRow] = []
    for line, cells in raw_rows[1:]:
        if not any(cells):
            continue
        values = {name: strip_formula_guard(cells[i]) if i < len(cells) else "" for i, name in enumerate(header)}
        rows.append(SourceRow(line=line, cells={name: values.get(name, "") for name in used}))
    if not rows:
        raise ValidationError(_("The file has no rows below the first line."), code="no_rows")
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(limit)s rows. Split it into smaller files.") % {"limit": MAX_ROWS},
            code="too_many_rows",
        )
    return Table(columns=used, rows=rows, ignored_columns=ignored, filename=filename)


class ImportUploadForm(forms.Form):
    """The upload step: one .csv or .xlsx file, read and checked for its columns on validation."""

    file = forms.FileField(
        label=gettext_lazy("File (.csv or .xlsx)"),
        help_text=gettext_lazy("At most 5 MB and 2000 rows. The first line names the columns."),
        widget=forms.FileInput(
            attrs={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args: Any, kind: ImportKind, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.table: Table | None = None

    def clean_file(self) -> UploadedFile:
        upload = cast(UploadedFile, self.cleaned_data["file"])
        self.table = read_upload(upload, kind=self.kind)
        return upload


# --------------------------------------------------------------------------------------------------
# Carrying the rows from preview to confirm


def sign_rows(*, actor: Staff, kind: ImportKind, table: Table | Sequence[SourceRow]) -> str:
    rows = table.rows if isinstance(table, Table) else list(table)
    columns = sorted({name for row in rows for name in row.cells})
    payload = {
        "u": actor.pk,
        "k": str(kind),
        "c": columns,
        "r": [[row.line, [row.cells.get(name, "") for name in columns]] for row in rows],
    }
    return signing.dumps(payload, compress=True, salt=SIGNING_SALT)


def unsign_rows(*, actor: Staff, kind: ImportKind, token: str) -> list[SourceRow]:
    """The rows of a preview. Raises ValidationError if the token is altered, expired or not this user's."""
    expired = _("The preview has expired or could not be read. Upload the file again.")
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=PAYLOAD_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError(expired, code="bad_payload") from None
    if not isinstance(payload, dict) or payload.get("u") != actor.pk or payload.get("k") != str(kind):
        raise ValidationError(expired, code="bad_payload")
    columns, raw_rows = payload.get("c"), payload.get("r")
    allowed = {column.name for column in COLUMNS[kind] if column.imported}
    if (
        not isinstance(columns, list)
        or not all(isinstance(name, str) and name in allowed for name in columns)
        or not isinstance(raw_rows, list)
        or len(raw_rows) > MAX_ROWS
    ):
        raise ValidationError(expired, code="bad_payload")
    rows = []
    for item in raw_rows:
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not isinstance(item[0], int)
            or not isinstance(item[1], list)
            or len(item[1]) != len(columns)
            or not all(isinstance(value, str) for value in item[1])
        ):
            raise ValidationError(expired, code="bad_payload")
        rows.append(SourceRow(line=item[0], cells=dict(zip(columns, item[1], strict=True))))
    return rows
