"""Japanese first, English when the person prefers it.

The language comes from the ``tsunagu_lang`` cookie (set by the language
switch in the page footer), else from ``Accept-Language``, else Japanese.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from server.i18n.messages import MESSAGES

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LANG_COOKIE = "tsunagu_lang"


def negotiate(accept_language: str | None) -> str:
    """Pick ``ja`` or ``en`` from an ``Accept-Language`` header by q-value."""
    best, best_q = DEFAULT_LOCALE, -1.0
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in LOCALES:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        # Earlier entries win ties, as browsers list them in preference order.
        q -= position * 1e-6
        if q > best_q:
            best, best_q = language, q
    return best


def request_locale(connection: HTTPConnection) -> str:
    cached = connection.scope.get("tsunagu.locale")
    if cached:
        return cached
    cookie = connection.cookies.get(LANG_COOKIE, "")
    locale = cookie if cookie in LOCALES else negotiate(connection.headers.get("accept-language"))
    connection.scope["tsunagu.locale"] = locale
    return locale


def translate(locale: str, key: str, **params: Any) -> str:
    """The message ``key`` in ``locale``; the key itself if it is missing,
    so a gap in the catalog shows up in review rather than as a crash."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(locale) or entry[DEFAULT_LOCALE]
    return text.format(**params) if params else text
