"""Sites: websites that embed the snippet, each with a public key and the
origins its pages may call the API from."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from html import escape
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.errors import ApiError
from server.models import Site, SiteOrigin, User

MAX_ORIGINS = 20
DEFAULT_PORTS = {"http": 80, "https": 443}


def generate_site_key() -> str:
    # Public, like a publishable key: it names the site, it grants nothing.
    return "pk_" + secrets.token_urlsafe(18)


def normalize_origin(raw: str) -> str:
    """``scheme://host[:port]`` in canonical form, or :class:`ApiError`.

    Lower-cases scheme and host, encodes international domain names as the
    browser sends them (punycode), drops a default port and one trailing
    slash. Paths, queries, credentials and wildcards are refused because a
    browser's ``Origin`` header never carries them.
    """
    value = raw.strip()
    refuse = ApiError(422, "invalid_origin", params={"origin": value[:200]})
    if not value or len(value) > 255 or any(c.isspace() for c in value) or "*" in value:
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
    ):
        raise refuse
    host = parts.hostname
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise refuse from None
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


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
    new_key: Callable[[], str] = generate_site_key,
) -> Site:
    """Register a site with a fresh, unique public key."""
    name, origin_list = check_name(name), normalize_origins(origins)
    for _attempt in range(5):
        site = Site(
            name=name,
            site_key=new_key(),
            created_by_id=created_by.id if created_by else None,
            origins=[SiteOrigin(origin=o) for o in origin_list],
        )
        # A savepoint, so a key collision undoes only this insert.
        try:
            async with db.begin_nested():
                db.add(site)
        except IntegrityError:
            continue
        return site
    raise RuntimeError("could not generate a unique site key")


async def update_site(
    db: AsyncSession,
    site: Site,
    *,
    name: str | None = None,
    origins: Iterable[str] | None = None,
    is_active: bool | None = None,
) -> Site:
    if name is not None:
        site.name = check_name(name)
    if origins is not None:
        wanted = normalize_origins(origins)
        kept = [o for o in site.origins if o.origin in wanted]
        have = {o.origin for o in kept}
        site.origins = kept + [SiteOrigin(origin=o) for o in wanted if o not in have]
    if is_active is not None:
        site.is_active = is_active
    await db.flush()
    await db.refresh(site, ["origins", "updated_at"])
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
