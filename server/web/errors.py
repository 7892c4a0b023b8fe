"""The one error type and its JSON shape.

Every refusal the server makes is an :class:`ApiError` with a stable
machine-readable ``code``. The message is looked up in the catalog
(``server/i18n/ja.py`` and ``en.py``) under ``error.<code>`` in the request's language, so
the console can show it as is.
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.i18n.locales import request_locale, translate

# Codes for the statuses Starlette itself raises (unknown route, wrong method).
HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a catalog message."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        params: dict[str, Any] | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params or {}
        self.details = details
        self.headers = headers or {}

    def message(self, locale: str) -> str:
        return translate(locale, f"error.{self.code}", **self.params)

    def body(self, locale: str) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message(locale)}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def error_response(request: Request, error: ApiError) -> Response:
    return JSONResponse(
        error.body(request_locale(request)), status_code=error.status, headers=error.headers
    )


def from_http_exception(exc: HTTPException) -> ApiError:
    code = HTTP_STATUS_CODES.get(exc.status_code, "bad_request")
    return ApiError(exc.status_code, code, headers=dict(exc.headers or {}))
