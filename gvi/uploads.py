"""Uploaded files: checked by their first bytes (not their name or the browser's word), limited in size,
stored through Django's storage API, and served only through views that check the policy and audit."""

from __future__ import annotations

from typing import Final

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext as _

# kind -> (magic prefix, extension, content type)
FILE_KINDS: Final = {
    "pdf": (b"%PDF-", ".pdf", "application/pdf"),
    "jpeg": (b"\xff\xd8\xff", ".jpg", "image/jpeg"),
    "png": (b"\x89PNG\r\n\x1a\n", ".png", "image/png"),
}
MB = 1024 * 1024


def sniff(upload: UploadedFile, kinds: tuple[str, ...], *, max_bytes: int) -> str:
    """The kind of an uploaded file, or a ValidationError saying what is accepted."""
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(_("The file is too large (at most %(mb)d MB).") % {"mb": max_bytes // MB})
    if not upload.size:
        raise ValidationError(_("The file is empty."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for kind in kinds:
        magic = FILE_KINDS[kind][0]
        if head.startswith(magic):
            return kind
    accepted = ", ".join(kind.upper() for kind in kinds)
    raise ValidationError(_("This file type is not accepted. Upload one of: %(kinds)s.") % {"kinds": accepted})


def named(upload: UploadedFile, kind: str) -> UploadedFile:
    """The upload renamed to its sniffed kind's extension (the storage path is random anyway)."""
    upload.name = f"upload{FILE_KINDS[kind][1]}"
    return upload


def download(field: FieldFile, *, filename: str, inline: bool = False) -> FileResponse:
    """A stored file as a response, with its content type taken from its stored extension."""
    name = field.name or ""
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    content_type = next(
        (ctype for _magic, ext, ctype in FILE_KINDS.values() if ext == extension), "application/octet-stream"
    )
    response = FileResponse(
        field.open("rb"), content_type=content_type, as_attachment=not inline, filename=f"{filename}{extension}"
    )
    response["Cache-Control"] = "private, no-store"
    return response
