"""Sites: websites that embed the snippet, each with a public key, the
origins its pages may call the API from, and the fields whose typed values
the snippet may show the host (unmask selectors)."""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Callable, Iterable
from html import escape
from urllib.parse import urlsplit

import idna
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.storage.models import Site, SiteOrigin, User, utcnow
from server.web.errors import ApiError
from server.web.payloads import has_control_characters

MAX_ORIGINS = 20
MAX_ORIGIN_LENGTH = 255  # the column's size, checked after IDNA encoding
ASCII_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_UNMASK_SELECTORS = 50
MAX_UNMASK_SELECTOR_LENGTH = 200
# A selector never needs these; they mean a whole CSS rule (or markup) was
# pasted where one selector belongs.
NOT_IN_SELECTORS = frozenset("{};<")


def generate_site_key() -> str:
    # Public, like a publishable key: it names the site, it grants nothing.
    return "pk_" + secrets.token_urlsafe(18)


def normalize_origin(raw: str) -> str:
    """``scheme://host[:port]`` exactly as a browser sends it in ``Origin``,
    or :class:`ApiError`.

    Host names go through IDNA 2008 / UTS #46 like a browser's (so
    ``faß.de`` is ``xn--fa-hia.de``, not the different domain ``fass.de``)
    and must be valid DNS names, IPv4 addresses or bracketed IPv6 addresses.
    Default ports and one trailing slash are dropped. Paths, queries,
    credentials and wildcards are refused: an ``Origin`` never has them.
    """
    value = raw.strip()
    refuse = ApiError(422, "invalid_origin", params={"origin": value[:200]})
    if not value or len(value) > 300 or not value.isprintable() or " " in value:
        raise refuse
    value = value.removesuffix("/")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise refuse from None
    scheme = parts.scheme.lower()
    if (
        scheme not in DEFAULT_PORTS
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
        or value.endswith(":")
        or port == 0
    ):
        raise refuse
    host = canonical_host(parts.hostname)
    if host is None:
        raise refuse
    origin = f"{scheme}://{host}"
    if port is not None and port != DEFAULT_PORTS[scheme]:
        origin += f":{port}"
    if len(origin) > MAX_ORIGIN_LENGTH:
        raise refuse
    return origin


def canonical_host(host: str) -> str | None:
    """The host as a browser puts it in ``Origin``, or ``None`` if invalid.

    Follows the WHATWG URL standard rather than strict DNS rules, because the
    browser's ``Origin`` is what will be compared: ASCII labels may hold
    ``_`` or ``--`` (``my_shop.example``), and only labels with other
    characters are IDNA-encoded, after UTS #46 mapping of the whole host.
    Labels may not begin or end with a hyphen: no registrable name does.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"[{address.compressed}]" if address.version == 6 else str(address)
    try:
        mapped = idna.uts46_remap(host, std3_rules=False, transitional=False)
        labels = [
            label if label.isascii() else idna.alabel(label).decode()
            for label in mapped.removesuffix(".").split(".")
        ]
    except (idna.IDNAError, UnicodeError):
        return None
    if not all(ASCII_LABEL.fullmatch(label) for label in labels):
        return None
    return ".".join(labels)


def normalize_origins(raw: Iterable[str]) -> list[str]:
    origins: list[str] = []
    for value in raw:
        origin = normalize_origin(value)
        if origin not in origins:
            origins.append(origin)
    if not origins:
        raise ApiError(422, "origins_required")
    if len(origins) > MAX_ORIGINS:
        raise ApiError(422, "too_many_origins", params={"max": MAX_ORIGINS})
    return origins


def normalize_unmask_selectors(raw: Iterable[str]) -> list[str]:
    """The unmask selectors as stored: each stripped, empty lines and
    repeats dropped, in the order given; or :class:`ApiError`.

    The snippet only ever passes them to ``Element.matches()``, which
    cannot run code, and skips any the browser finds invalid, so CSS syntax
    is not parsed here. What is refused is what a person would want to hear
    about: a selector that is too long, holds control characters, or holds
    ``{``, ``}``, ``;`` or ``<`` (a whole CSS rule or a tag pasted by mistake).
    """
    selectors: dict[str, None] = {}  # ordered, and a repeat is found at once
    for value in raw:
        selector = value.strip()
        if not selector or selector in selectors:
            continue
        if (
            len(selector) > MAX_UNMASK_SELECTOR_LENGTH
            or has_control_characters(selector)
            or NOT_IN_SELECTORS.intersection(selector)
        ):
            shown = "".join("\ufffd" if has_control_characters(c) else c for c in selector[:80])
            raise ApiError(
                422,
                "invalid_unmask_selector",
                params={
                    "selector": shown + ("…" if len(selector) > 80 else ""),
                    "max_length": MAX_UNMASK_SELECTOR_LENGTH,
                },
            )
        selectors[selector] = None
        if len(selectors) > MAX_UNMASK_SELECTORS:
            raise ApiError(422, "too_many_unmask_selectors", params={"max": MAX_UNMASK_SELECTORS})
    return list(selectors)


def check_name(raw: str) -> str:
    name = raw.strip()
    if not name or len(name) > 100:
        raise ApiError(422, "invalid_site_name")
    return name


async def create_site(
    db: AsyncSession,
    *,
    name: str,
    origins: Iterable[str],
    created_by: User | None,
    unmask_selectors: Iterable[str] = (),
    new_key: Callable[[], str] = generate_site_key,
) -> Site:
    """Register a site with a fresh public key."""
    name, origin_list = check_name(name), normalize_origins(origins)
    selectors = normalize_unmask_selectors(unmask_selectors)
    # A clash of 144 random bits will not happen, but the unique index is
    # what guarantees it; looking first keeps even that case from a 500.
    for _attempt in range(10):
        site_key = new_key()
        if await find_by_key(db, site_key) is None:
            break
    else:
        raise RuntimeError("the site key generator keeps repeating itself")
    site = Site(
        name=name,
        site_key=site_key,
        created_by_id=created_by.id if created_by else None,
        origins=[SiteOrigin(origin=o) for o in origin_list],
        unmask_selectors=selectors,
    )
    db.add(site)
    await db.flush()
    return site


async def update_site(
    db: AsyncSession,
    site_id: int,
    *,
    name: str | None = None,
    origins: Iterable[str] | None = None,
    is_active: bool | None = None,
    unmask_selectors: Iterable[str] | None = None,
) -> Site:
    """Change a site. Everything is checked before anything is written."""
    name = check_name(name) if name is not None else None
    wanted = normalize_origins(origins) if origins is not None else None
    selectors = (
        normalize_unmask_selectors(unmask_selectors) if unmask_selectors is not None else None
    )
    # Writing the row first locks it (a row lock on PostgreSQL, the write
    # lock on SQLite), so two edits at once apply one after the other
    # instead of both adding the same origin.
    locked = await db.execute(update(Site).where(Site.id == site_id).values(updated_at=utcnow()))
    if locked.rowcount == 0:
        raise ApiError(404, "site_not_found")
    site = await db.get(Site, site_id, populate_existing=True)
    assert site is not None
    if name is not None:
        site.name = name
    if wanted is not None:
        kept = [o for o in site.origins if o.origin in wanted]
        have = {o.origin for o in kept}
        site.origins = kept + [SiteOrigin(origin=o) for o in wanted if o not in have]
    if is_active is not None:
        site.is_active = is_active
    if selectors is not None:
        site.unmask_selectors = selectors
    await db.flush()
    return site


async def get_site(db: AsyncSession, site_id: int) -> Site:
    site = await db.get(Site, site_id)
    if site is None:
        raise ApiError(404, "site_not_found")
    return site


async def find_by_key(db: AsyncSession, site_key: str) -> Site | None:
    return await db.scalar(select(Site).where(Site.site_key == site_key))


async def list_sites(db: AsyncSession) -> list[Site]:
    return list(await db.scalars(select(Site).order_by(Site.is_active.desc(), Site.name)))


def script_tag(site: Site, server_url: str) -> str:
    """The exact tag a website owner pastes into their pages."""
    src = escape(server_url.rstrip("/") + "/embed/snippet.js")
    return f'<script src="{src}" data-site-key="{escape(site.site_key)}" async></script>'
