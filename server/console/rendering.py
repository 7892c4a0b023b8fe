"""Rendering console pages: templates, flash messages and redirects."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.templating import Jinja2Templates

from server.accounts.auth import Principal, csrf_token
from server.i18n import locales
from server.i18n.locales import LOCALES, request_locale, translate
from server.web.errors import ApiError
from server.web.services import services

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
FLASH_COOKIE = "tsunagu_flash"


def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=TEMPLATES_DIR)


def _flash_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(services(request).settings.secret_key, salt="flash")


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a console page in the request's language."""
    locale = request_locale(request)
    flashes: list[dict[str, str]] = []
    raw_flash = request.cookies.get(FLASH_COOKIE)
    if raw_flash:
        try:
            kind, key, params = _flash_signer(request).loads(raw_flash)
            flashes.append({"kind": kind, "text": translate(locale, key, **params)})
        except (BadSignature, ValueError, TypeError):
            pass
    user = principal.user if principal else None
    page = {
        "t": partial(translate, locale),
        "locale": locale,
        "locales": LOCALES,
        "user": user,
        "csrf_token": csrf_token(request, principal.session)
        if principal and principal.session
        else "",
        "flashes": flashes,
        "current_path": request.url.path,
        # The menu item to highlight: the page's own section, unless the
        # page says otherwise (a live meeting belongs to the dashboard).
        "nav_path": request.url.path,
        # Without Twilio, SMS land in the console's outbox: say so in the menu.
        "sms_outbox_mode": not services(request).settings.sms_enabled,
        **(context or {}),
    }
    response = services(request).templates.TemplateResponse(
        request, name, page, status_code=status, headers=headers
    )
    # Pages show per-user data; never let a shared cache keep them.
    response.headers["Cache-Control"] = "no-store"
    if raw_flash:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def redirect(
    request: Request,
    url: str,
    flash: str | None = None,
    *,
    kind: str = "success",
    **params: Any,
) -> RedirectResponse:
    """Redirect after a form post (303), optionally with a one-time message."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        value = _flash_signer(request).dumps([kind, flash, params])
        response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", path="/")
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``//evil.example`` and ``/\\evil`` are absolute
    URLs to a browser, so they are refused like any full URL."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target


def ui_strings(request: Request, page: str, *more: str) -> dict[str, locales.Message]:
    """The catalog entries a page's script needs (``<page>.js.*`` keys,
    ``event.*`` labels and any ``more`` prefixes), in the request's
    language, for a JSON data block: scripts get their words without inline
    code or a second request. Plural entries go as their forms, which the
    script's ``format`` picks from by the count."""
    locale = request_locale(request)
    prefixes = (f"{page}.js.", "event.", *more)
    return {
        key: locales.entry(locale, key) or ""
        for key in locales.all_keys()
        if key.startswith(prefixes)
    }


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def error_page(request: Request, error: ApiError) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"status": error.status, "message": error.message(request_locale(request))},
        status=error.status,
        headers=error.headers,
    )
