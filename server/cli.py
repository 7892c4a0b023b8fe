"""The ``tsunagu`` command: run the server and administer it from a shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts import api_tokens, sites, users
from server.accounts.passwords import Passwords, generate_password
from server.bootstrap import first_run
from server.live import view_relay
from server.settings import Settings, SettingsError
from server.storage.database import create_engine, migrate, session_factory
from server.web.errors import ApiError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
        if getattr(args, "host", None):
            settings = settings.replace(host=args.host)
        if getattr(args, "port", None):
            settings = settings.replace(port=args.port)
        return args.command(settings, args)
    except SettingsError as exc:
        print(f"tsunagu: {exc}", file=sys.stderr)
        return 2
    except ApiError as exc:
        print(f"tsunagu: {exc.message('en')}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsunagu",
        description="Tsunagu: phone-meeting companion and smartphone screen-support server. "
        "Settings come from TSUNAGU_* environment variables (see README).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="apply migrations, create the first admin on first run, and serve",
        description="Apply migrations; on the first run create an admin user and print the "
        "password once; then serve the console.",
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="try it out (what `make run` does): on the first run also create a demo site, "
        "and serve a demo shop with the snippet on TSUNAGU_DEMO_PORT; never in production",
    )
    run.add_argument("--host", help="address to listen on (default: TSUNAGU_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to listen on (default: TSUNAGU_PORT or 8000)")
    run.set_defaults(command=run_command)

    mig = commands.add_parser(
        "migrate",
        help="bring the database schema up to date",
        description="Apply every pending Alembic migration to TSUNAGU_DATABASE_URL.",
    )
    mig.set_defaults(command=migrate_command)

    user = commands.add_parser("user", help="manage users", description="Manage users.")
    user_commands = user.add_subparsers(title="user commands", metavar="ACTION", required=True)
    user_create = user_commands.add_parser(
        "create",
        help="add a user",
        description="Add a user. Without --password-stdin a password is generated and printed.",
    )
    user_create.add_argument("username")
    user_create.add_argument("--role", choices=users.ROLES, default="host")
    user_create.add_argument("--display-name", default="")
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_create.set_defaults(command=user_create_command)
    user_reset = user_commands.add_parser(
        "reset-password",
        help="set a new password for a user (for a forgotten one)",
        description="Set a new password for USERNAME and end all their login sessions. "
        "Without --password-stdin a password is generated and printed.",
    )
    user_reset.add_argument("username")
    user_reset.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_reset.set_defaults(command=user_reset_command)

    token = commands.add_parser("token", help="manage API tokens", description="Manage API tokens.")
    token_commands = token.add_subparsers(title="token commands", metavar="ACTION", required=True)
    token_create = token_commands.add_parser(
        "create",
        help="create an API token for a user (printed once)",
        description="Create a personal API token for USERNAME. The token is printed once.",
    )
    token_create.add_argument("username")
    token_create.add_argument("--name", default="cli", help="a label for the token")
    token_create.set_defaults(command=token_create_command)

    site = commands.add_parser(
        "site", help="manage sites that embed the snippet", description="Manage sites."
    )
    site_commands = site.add_subparsers(title="site commands", metavar="ACTION", required=True)
    site_add = site_commands.add_parser(
        "add",
        help="register a website",
        description="Register a website and print its site key and the <script> tag to paste.",
    )
    site_add.add_argument("name")
    site_add.add_argument(
        "--origin",
        action="append",
        required=True,
        metavar="URL",
        help="an allowed origin such as https://shop.example (repeat for several)",
    )
    site_add.add_argument(
        "--unmask",
        action="append",
        default=[],
        metavar="SELECTOR",
        help="a CSS selector such as 'input[type=email]' whose typed values the host may see "
        "(repeat for several; every other typed value is masked on the guest's device)",
    )
    site_add.set_defaults(command=site_add_command)
    site_list = site_commands.add_parser(
        "list", help="list sites", description="List sites with their keys and origins."
    )
    site_list.set_defaults(command=site_list_command)
    return parser


def with_database(
    settings: Settings, work: Callable[[AsyncSession, Passwords], Awaitable[Any]]
) -> Any:
    """Migrate, then run ``work`` in one transaction."""

    async def go() -> Any:
        engine = create_engine(settings.database_url)
        try:
            await migrate(engine)
            async with session_factory(engine).begin() as db:
                return await work(
                    db, Passwords(settings.argon2_time_cost, settings.argon2_memory_kib)
                )
        finally:
            await engine.dispose()

    return asyncio.run(go())


def run_command(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from server.demo_shop import create_demo_shop, site_key_for
    from server.web import transport
    from server.web.app import create_app

    shop_port = settings.demo_port if args.demo else 0

    async def setup(db: AsyncSession, passwords: Passwords) -> Any:
        created = await first_run(db, passwords, settings, demo=args.demo)
        return created, await site_key_for(db, settings.demo_origin()) if shop_port else None

    try:
        created, demo_key = with_database(settings, setup)
    except ApiError as exc:
        if exc.code != "username_taken":
            raise
        created, demo_key = None, None  # another instance did the first run just now
    url = settings.console_url()
    print(f"\n  Tsunagu console: {url}")
    if created is not None:
        made = "an admin account and a demo site were" if created.site else "an admin account was"
        print(f"\n  First run: {made} created.")
        print(f"    login:    {created.username}")
        print(f"    password: {created.password}")
        print("  This password is shown only once. Change it under Account after logging in.")
        if created.site is not None:
            print(f"\n  Demo site: {created.site.name} (site key {created.site.site_key})")
            print(f"    allowed origins: {', '.join(created.site.origin_list)}")
    if shop_port:
        print(f"  Demo shop with the snippet: {settings.demo_origin()}/")
    print(f"  Data: {settings.data_dir}\n", flush=True)
    main = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
            # Pings, hellos, signals and memo updates are small; a live view's
            # full snapshot (issue #16) is the largest message a client sends,
            # refused by the relay above MAX_FRAME_BYTES with a reason the
            # page hears; a frame larger still closes the socket (1009).
            ws_max_size=view_relay.MAX_FRAME_BYTES + 64 * 1024,
            log_level="info",
            # Header size limit and header/body read timeouts (uvicorn has
            # neither); h11's own limit in case h11 is ever chosen instead.
            http=transport.http_protocol(settings),
            h11_max_incomplete_event_size=transport.MAX_HEADER_BYTES,
        )
    )
    if not shop_port:
        main.run()
        return 0
    shop = create_demo_shop(settings.console_url(), demo_key, settings.demo_origin())
    demo = uvicorn.Server(
        uvicorn.Config(
            shop,
            host=settings.host,
            port=settings.demo_port,
            log_level="warning",
            http=transport.http_protocol(settings),
        )
    )

    async def serve_both() -> None:
        demo_task = asyncio.create_task(demo.serve())
        await main.serve()
        demo.should_exit = True  # the console is what the person started
        await demo_task

    asyncio.run(serve_both())
    return 0


def migrate_command(settings: Settings, args: argparse.Namespace) -> int:
    async def nothing(db: AsyncSession, passwords: Passwords) -> None:
        return None

    with_database(settings, nothing)
    print("Database is up to date.")
    return 0


def user_create_command(settings: Settings, args: argparse.Namespace) -> int:
    password, generated = new_password(args)

    async def create(db: AsyncSession, passwords: Passwords) -> Any:
        return await users.create_user(
            db,
            passwords,
            username=args.username,
            password=password,
            role=args.role,
            display_name=args.display_name,
        )

    user = with_database(settings, create)
    print(f"Created {user.role} {user.username}.")
    if generated:
        print(f"Password (shown once): {password}")
    return 0


def user_reset_command(settings: Settings, args: argparse.Namespace) -> int:
    password, generated = new_password(args)

    async def reset(db: AsyncSession, passwords: Passwords) -> Any:
        user = await users.find_by_username(db, args.username)
        if user is None:
            raise ApiError(404, "user_not_found")
        await users.reset_password(db, passwords, user, password)
        return user

    user = with_database(settings, reset)
    print(f"New password set for {user.username}; their login sessions have ended.")
    if generated:
        print(f"Password (shown once): {password}")
    return 0


def new_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password from standard input, or a generated one; and which."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return generate_password(), True


def token_create_command(settings: Settings, args: argparse.Namespace) -> int:
    async def create(db: AsyncSession, passwords: Passwords) -> Any:
        user = await users.find_by_username(db, args.username)
        if user is None or not user.is_active:
            raise ApiError(404, "user_not_found")
        return await api_tokens.create_token(db, user, args.name)

    _token, raw = with_database(settings, create)
    print(raw)
    print(f"API token for {args.username}. It is shown only once.", file=sys.stderr)
    return 0


def site_add_command(settings: Settings, args: argparse.Namespace) -> int:
    async def add(db: AsyncSession, passwords: Passwords) -> Any:
        return await sites.create_site(
            db,
            name=args.name,
            origins=args.origin,
            unmask_selectors=args.unmask,
            created_by=None,
        )

    site = with_database(settings, add)
    print(f"Site:     {site.name}")
    print(f"Site key: {site.site_key}")
    print(f"Origins:  {', '.join(site.origin_list)}")
    if site.unmask_selectors:
        print(f"Unmasked: {', '.join(site.unmask_selectors)}")
    print("Paste this tag into every page of the site:")
    print(f"  {sites.script_tag(site, settings.console_url())}")
    return 0


def site_list_command(settings: Settings, args: argparse.Namespace) -> int:
    async def fetch(db: AsyncSession, passwords: Passwords) -> Any:
        return await sites.list_sites(db)

    found = with_database(settings, fetch)
    if not found:
        print("No sites yet. Add one with: tsunagu site add NAME --origin https://shop.example")
    for site in found:
        state = "" if site.is_active else "  (disabled)"
        print(f"{site.id}\t{site.site_key}\t{site.name}\t{' '.join(site.origin_list)}{state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
