"""The database engine: SQLite (default, WAL mode) or PostgreSQL, async.

Schema changes go through Alembic (:func:`migrate`); nothing here creates
tables directly.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from server.storage import search_index

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"


def create_engine(database_url: str) -> AsyncEngine:
    """Create the engine, with the SQLite pragmas the server relies on."""
    if database_url.startswith("sqlite"):
        engine = create_async_engine(database_url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
    return engine


class DatabaseUnavailable(exc.OperationalError):
    """The database could not be reached at all (refused, unresolvable,
    timed out): asyncpg raises these as plain ``OSError``s, which would be
    indistinguishable from, say, a full disk."""


def _connect_or_unavailable(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    try:
        return dialect.connect(*cargs, **cparams)
    except OSError as error:  # TimeoutError included
        raise DatabaseUnavailable(None, None, error) from error


# SQLSTATE classes that mean "not now" rather than "wrong": connection
# exceptions (08), insufficient resources such as too many clients (53),
# and an administrator's shutdown or a server still starting (57P).
_TRANSIENT_SQLSTATES = ("08", "53", "57P")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database is overloaded or briefly out of
    reach (worth a 503 and a retry), as opposed to a bug or a bad query."""
    if isinstance(error, (exc.TimeoutError, DatabaseUnavailable)):
        return True  # the pool had no connection to give in time; or no database
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    if sqlstate.startswith(_TRANSIENT_SQLSTATES):
        return True
    # SQLite: another writer held the database past busy_timeout.
    return isinstance(error, exc.OperationalError) and "database is locked" in str(error.orig)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the console read while a guest upload writes; foreign keys are
    # off by default in SQLite; busy_timeout waits instead of failing on a lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""

    def upgrade(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        search_index.ensure(connection)

    if engine.dialect.name == "sqlite":
        await _migrate_sqlite(engine, upgrade)
        return
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several instances may start at once; one migrates, the others wait.
            await connection.execute(text("SELECT pg_advisory_xact_lock(7470223)"))
        await connection.run_sync(upgrade)


class MigrationBrokeReferences(RuntimeError):
    """A migration left rows pointing at rows that no longer exist."""


async def _migrate_sqlite(engine: AsyncEngine, upgrade: Callable[[Connection], None]) -> None:
    # SQLite cannot alter a column in place: a migration copies the table to
    # a new one and drops the old. With foreign keys on (as our connections
    # have them), dropping `meetings` would cascade and delete every event,
    # capture and memo of every meeting. So the keys are off while migrating
    # (the pragma is ignored inside a transaction, hence before it), checked
    # once at the end, and on again before the connection goes back to the pool.
    async with engine.connect() as connection:
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(upgrade)
                broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                if broken:
                    raise MigrationBrokeReferences(
                        f"the migration left {len(broken)} rows referring to missing rows "
                        f"(first: {tuple(broken[0])}); nothing was changed"
                    )
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
