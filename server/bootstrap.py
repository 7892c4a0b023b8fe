"""First run: an admin account, so a newcomer can log in; and for the demo
that `make run` starts, a demo site for the demo shop beside the console."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import sites, users
from server.accounts.passwords import Passwords, generate_password
from server.settings import Settings
from server.storage.models import Site

ADMIN_USERNAME = "admin"
DEMO_SITE_NAME = "Demo shop"
DEMO_UNMASKED = ["#name", "#email"]


@dataclass(frozen=True)
class FirstRun:
    username: str
    password: str
    site: Site | None  # the demo site, on a demo's first run only


async def first_run(
    db: AsyncSession, passwords: Passwords, settings: Settings, *, demo: bool = False
) -> FirstRun | None:
    """Create the first admin when there are no users yet; with ``demo``
    (``tsunagu run --demo``, which `make run` runs) also the demo site.

    A production server never gets the demo site: its origins (the demo
    shop's ``http://127.0.0.1:8001`` among them) would be allowed to embed
    the snippet and ask for connection numbers.

    Returns what to show the person once, or ``None`` when the database
    already has users (every later start). If another process is doing its
    first run at the same moment, one of the two gets ``username_taken``.
    """
    if await users.count_users(db) > 0:
        return None
    password = generate_password()
    # Both in the caller's one transaction: a failure leaves neither, so the
    # next start is a first run again and prints a password that works.
    admin = await users.create_user(
        db,
        passwords,
        username=ADMIN_USERNAME,
        password=password,
        role="admin",
        display_name="Admin",
    )
    if not demo:
        return FirstRun(username=admin.username, password=password, site=None)
    console = urlsplit(settings.console_url())
    site = await sites.create_site(
        db,
        name=DEMO_SITE_NAME,
        # The console's own origin, and the demo shop that `tsunagu run --demo` serves.
        origins=[
            f"{console.scheme}://{console.netloc}",
            *([settings.demo_origin()] if settings.demo_port else []),
        ],
        created_by=admin,
        # Every typed value is hidden by default; the demo shows how an owner
        # lets ordinary fields through (its checkout's name and e-mail).
        unmask_selectors=DEMO_UNMASKED,
    )
    return FirstRun(username=admin.username, password=password, site=site)
