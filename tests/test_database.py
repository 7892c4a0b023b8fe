"""The database: migrations, SQLite's WAL mode, and data that outlives restarts."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from server.accounts import sites, users
from server.bootstrap import first_run
from server.storage import search_index
from server.storage.database import create_engine, migrate, session_factory
from server.storage.models import Base, utcnow
from server.web.app import SchemaOutOfDate, create_app
from server.web.errors import ApiError
from server.web.services import services
from tests.conftest import empty_database, http_client, log_in


async def test_migrations_create_every_table_and_can_run_twice(settings):
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        await migrate(engine)  # a second `tsunagu migrate` is a no-op
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


async def test_the_migrations_build_exactly_the_schema_the_models_describe(settings):
    # A column, index or constraint added to a model without a migration
    # would work in tests that create tables from models, and fail in
    # production; compare the migrated database with the models.
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync,
                        opts={"compare_type": False, "include_name": search_index.include_name},
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()
    assert differences == []


async def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal"
    assert foreign_keys == 1


async def test_the_server_refuses_to_start_on_an_unmigrated_database(settings):
    await empty_database(settings.database_url)
    application = create_app(settings)
    with pytest.raises(SchemaOutOfDate, match="run `tsunagu migrate`"):
        async with application.router.lifespan_context(application):
            pass


async def test_accounts_and_sites_survive_a_restart(app, settings, admin_client):
    token = (await admin_client.get("/account")).text.split('name="csrf-token" content="')[1][:64]
    created = await admin_client.post(
        "/api/v1/sites",
        json={"name": "Shop", "origins": ["https://shop.example"]},
        headers={"x-csrf-token": token},
    )
    cookies = admin_client.cookies

    restarted = create_app(settings)
    async with restarted.router.lifespan_context(restarted), http_client(restarted) as client:
        client.cookies = cookies
        listed = (await client.get("/api/v1/sites")).json()["sites"]
        assert [s["site_key"] for s in listed] == [created.json()["site_key"]]
        assert (await log_in(client, "boss")).status_code == 303


async def test_a_refused_change_leaves_nothing_behind(app):
    """One request's transaction is all or nothing, on SQLite as on PostgreSQL:
    a user added before a refused site is not kept."""
    with pytest.raises(ApiError):
        async with services(app).db.begin() as db:
            await users.create_user(
                db, services(app).passwords, username="sato", password="long enough secret"
            )
            await sites.create_site(db, name="Shop", origins=["not an origin"], created_by=None)
    async with services(app).db() as db:
        assert await users.find_by_username(db, "sato") is None


@pytest.mark.parametrize(
    ("settings_change", "console_origin", "demo_origin"),
    [
        (
            {"public_url": "https://support.example.com/tsunagu"},
            "https://support.example.com",
            "http://127.0.0.1:8001",
        ),
        ({"host": "::1", "port": 9000}, "http://[::1]:9000", "http://[::1]:8001"),
        ({"host": "0.0.0.0"}, "http://127.0.0.1:8000", "http://127.0.0.1:8001"),
        ({"host": "my_host", "demo_port": 9001}, "http://my_host:8000", "http://my_host:9001"),
    ],
)
async def test_first_run_gives_the_demo_site_the_consoles_and_the_demo_shops_origins(
    app, settings, settings_change, console_origin, demo_origin
):
    async with services(app).db.begin() as db:
        created = await first_run(
            db, services(app).passwords, settings.replace(**settings_change).resolved(), demo=True
        )
    assert created is not None
    assert created.site.origin_list == [console_origin, demo_origin]
    # The demo checkout shows its name and e-mail; every other typed value is hidden.
    assert created.site.unmask_selectors == ["#name", "#email"]


async def test_sites_registered_before_unmask_selectors_existed_mask_every_typed_value(settings):
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO sites (name, site_key, is_active, created_at, updated_at) "
                    "VALUES ('Old shop', 'pk_old', true, :now, :now)"
                ),
                {"now": utcnow()},
            )
        await migrate(engine)
        async with session_factory(engine)() as db:
            site = await sites.find_by_key(db, "pk_old")
    finally:
        await engine.dispose()
    assert site is not None
    assert site.unmask_selectors == []


async def test_a_migration_that_rebuilds_a_table_on_sqlite_keeps_the_rows_that_point_at_it(
    tmp_path,
):
    # 0007 rebuilds `meetings` (SQLite drops a column by copying the table);
    # with foreign keys on, dropping the old table used to delete every
    # event of every meeting through ON DELETE CASCADE.
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}")
    try:
        await migrate(engine, "0006")
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO users (id, username, display_name, password_hash, role, is_active,"
                " created_at, password_changed_at) VALUES (1, 'host', 'Host', 'x', 'host', 1,"
                " '2026-11-01 00:00:00', '2026-11-01 00:00:00')"
            )
            await connection.exec_driver_sql(
                "INSERT INTO meetings (id, host_id, state, source, created_at, guest_connected,"
                " guest_sockets) VALUES (7, 1, 'ended', 'number', '2026-11-01 00:00:00', 0, 0)"
            )
            await connection.exec_driver_sql(
                "INSERT INTO meeting_events (meeting_id, type, created_at, payload)"
                " VALUES (7, 'meeting.started', '2026-11-01 00:00:00', '{}')"
            )
        await migrate(engine)
        async with engine.connect() as connection:
            events = (await connection.exec_driver_sql("SELECT type FROM meeting_events")).all()
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    finally:
        await engine.dispose()
    assert [row.type for row in events] == ["meeting.started"]
    assert foreign_keys == 1
