"""Importing and exporting the group map as CSV or XLSX.

Imports run in two steps. The uploaded file is read into rows of text (`read_upload`), every row is
validated (`incidents_preview` / `memberships_preview`) and the preview shows each one: to be imported,
already registered (skipped), or rejected with its line number and the reason per column. The rows travel
to the confirm step signed (`sign_rows` / `unsign_rows`: bound to the user and the kind of import, valid
for an hour), and `incidents_import` / `memberships_import` validate them all again and commit every row
in one transaction through the services, or nothing. Rows already registered are skipped, so importing
the same file twice adds nothing.

Exports (`incidents_export` / `memberships_export`) read through the access policy, write one export
event with the ids exported, and yield plain values; the views turn them into CSV or XLSX. An exported
file has the import's columns, so importing it again finds every row already registered.
"""

from gvi.mapping.imports.columns import COLUMNS, INCIDENT_COLUMNS, MEMBERSHIP_COLUMNS, Column, ImportKind
from gvi.mapping.imports.exports import (
    EXPORT_PURPOSE,
    Export,
    IncidentExportFilterForm,
    export_text,
    incidents_export,
    memberships_export,
)
from gvi.mapping.imports.files import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    SIGNING_SALT,
    ImportUploadForm,
    SourceRow,
    Table,
    read_upload,
    sign_rows,
    unsign_rows,
)
from gvi.mapping.imports.incidents import incidents_import, incidents_preview
from gvi.mapping.imports.memberships import memberships_import, memberships_preview
from gvi.mapping.imports.rows import IMPORT_PURPOSE, ImportResult, RowReport, RowStatus

__all__ = [
    "COLUMNS",
    "EXPORT_PURPOSE",
    "IMPORT_PURPOSE",
    "INCIDENT_COLUMNS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "MEMBERSHIP_COLUMNS",
    "SIGNING_SALT",
    "Column",
    "Export",
    "ImportKind",
    "ImportResult",
    "ImportUploadForm",
    "IncidentExportFilterForm",
    "RowReport",
    "RowStatus",
    "SourceRow",
    "Table",
    "export_text",
    "incidents_export",
    "incidents_import",
    "incidents_preview",
    "memberships_export",
    "memberships_import",
    "memberships_preview",
    "read_upload",
    "sign_rows",
    "unsign_rows",
]
