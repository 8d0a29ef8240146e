"""Permission-matrix rows for the shell: start page, API schema and docs, API tokens, the audit trail."""

from __future__ import annotations

from tests.matrix import OK, Row, everyone, only, register

register(
    Row("home", "GET", None, everyone(OK)),
    Row("api:schema", "GET", None, everyone(OK)),
    Row("api:docs", "GET", None, everyone(OK)),
    Row("accounts:api-tokens", "GET", None, everyone(OK)),
    Row("accounts:api-tokens", "POST", None, everyone(OK), data=lambda w: {"name": "integration"}),
    Row("accounts:api-token-revoke", "POST", "petra_token", only({"petra": OK})),
    Row("audit:event-list", "GET", None, only({"olof": OK})),
    Row("audit:event-export", "GET", None, only({"olof": OK})),
)
