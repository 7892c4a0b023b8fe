"""Japanese first, English when the person prefers it.

The language comes from the ``tsunagu_lang`` cookie (set by the language
switch in the page footer), else from ``Accept-Language``, else Japanese.

The catalog is one module per language (``ja.py``, ``en.py``) with the same
keys. An entry that shows a count may be a plural, ``{"plural": "<param>",
"one": ..., "other": ...}``: the form is chosen by the value of that
parameter under the language's plural rule (forms may nest, for a message
with two counts). Two languages with one/other rules do not need gettext or
Babel; a third language with richer plural rules would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import HTTPConnection

from server.i18n import en, ja

LOCALES = ("ja", "en")
DEFAULT_LOCALE = "ja"
LANG_COOKIE = "tsunagu_lang"

# A catalog entry: the text, or plural forms of it (see the module docstring).
Message = str | Mapping[str, Any]
CATALOGS: dict[str, Mapping[str, Message]] = {"ja": ja.MESSAGES, "en": en.MESSAGES}


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


def plural_form(locale: str, count: Any) -> str:
    """The CLDR plural category of ``count`` in ``locale``: English says
    "1 minute" but "0 minutes" and "2 minutes"; Japanese has one form."""
    if locale == "en" and isinstance(count, int | float) and count == 1:
        return "one"
    return "other"


def all_keys() -> Iterable[str]:
    """Every key in the catalog, in the order of the default language's file."""
    return CATALOGS[DEFAULT_LOCALE].keys()


def entry(locale: str, key: str) -> Message | None:
    """The raw entry for ``key`` (text or plural forms), falling back to the
    default language; for pages whose scripts pick plural forms themselves."""
    found = CATALOGS.get(locale, {}).get(key)
    if not found and locale != DEFAULT_LOCALE:
        return CATALOGS[DEFAULT_LOCALE].get(key)
    return found


def translate(locale: str, key: str, **params: Any) -> str:
    """The message ``key`` in ``locale``; the key itself if it is missing,
    so a gap in the catalog shows up in review rather than as a crash.
    A plural entry takes its form from the parameter it names."""
    text = entry(locale, key)
    if text is None:
        return key
    while not isinstance(text, str):
        text = text.get(plural_form(locale, params.get(text["plural"])), text["other"])
    return text.format(**params) if params else text
