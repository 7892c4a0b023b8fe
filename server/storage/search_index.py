"""The history's search index, kept in step with the searched tables by the
database itself, so no code that writes a memo, a capture or a page event
has to know the search exists (the queries are in
``server/meetings/search.py``).

SQLite: three FTS5 tables with the trigram tokenizer (migration 0009), one
per searched kind, each row keyed by its source row's id (``rowid``): the
memo's meeting, the capture, the ``page.visited`` event. Triggers on the
source tables insert, replace and delete their rows. A later migration that
rebuilds one of those tables on SQLite (Alembic's batch mode copies it and
drops the old one, triggers and all) would silently stop the index, so
:func:`ensure` runs after every migration: it creates any missing trigger
and, if one was missing, refills that table from its source.

PostgreSQL: nothing to keep; GIN indexes on the searched columns' bigrams
(``search_grams``, migration 0009) are kept by the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

PREFIX = "search_"

# A page event's searched text: its address and title on one line each.
SQLITE_PAGE_TEXT = (
    "coalesce(json_extract({row}.payload, '$.url'), '') || char(10) || "
    "coalesce(json_extract({row}.payload, '$.title'), '')"
)
SQLITE_CAPTURE_TEXT = "{row}.url || char(10) || {row}.title"


@dataclass(frozen=True)
class Indexed:
    """One FTS5 table and the rows of the source table it holds."""

    table: str
    source: str
    key: str  # the source column that is the FTS row's rowid
    body: str  # the searched text, with {row} for new/old
    columns: str  # what an update must change to be re-indexed
    meeting: str | None  # the source's meeting id column, stored UNINDEXED
    when: str = ""  # which source rows belong, with {row}

    def row_values(self, row: str) -> tuple[str, str]:
        columns = "rowid, body" + (", meeting_id" if self.meeting else "")
        values = f"{row}.{self.key}, {self.body.format(row=row)}"
        if self.meeting:
            values += f", {row}.{self.meeting}"
        return columns, values

    def condition(self, row: str) -> str:
        return f" WHEN {self.when.format(row=row)}" if self.when else ""

    def triggers(self) -> dict[str, str]:
        new_columns, new_values = self.row_values("new")
        insert = f"INSERT INTO {self.table} ({new_columns}) VALUES ({new_values});"  # noqa: S608 (our constants)
        delete = f"DELETE FROM {self.table} WHERE rowid = old.{self.key};"  # noqa: S608
        return {
            f"{self.table}_insert": f"AFTER INSERT ON {self.source}{self.condition('new')} "
            f"BEGIN {insert} END",
            f"{self.table}_update": f"AFTER UPDATE OF {self.columns} ON {self.source}"
            f"{self.condition('new')} BEGIN {delete} {insert} END",
            f"{self.table}_delete": f"AFTER DELETE ON {self.source}{self.condition('old')} "
            f"BEGIN {delete} END",
        }

    def refill(self) -> list[str]:
        columns, values = self.row_values(self.source)
        where = f" WHERE {self.when.format(row=self.source)}" if self.when else ""
        return [
            f"DELETE FROM {self.table}",  # noqa: S608 (our constants)
            f"INSERT INTO {self.table} ({columns}) SELECT {values} FROM {self.source}{where}",  # noqa: S608
        ]


SQLITE_INDEXED = (
    Indexed("search_memos", "meeting_memos", "meeting_id", "{row}.text", "text", None),
    Indexed(
        "search_captures",
        "captures",
        "id",
        SQLITE_CAPTURE_TEXT,
        "url, title, meeting_id",
        "meeting_id",
    ),
    Indexed(
        "search_pages",
        "meeting_events",
        "id",
        SQLITE_PAGE_TEXT,
        "payload, type",
        "meeting_id",
        "{row}.type = 'page.visited'",
    ),
)


def ensure(connection: Connection) -> None:
    """Install missing triggers of the SQLite index and refill what they
    missed. Nothing to do on PostgreSQL, or before migration 0009."""
    if connection.dialect.name != "sqlite":
        return
    existing = {
        row[0]
        for row in connection.execute(
            text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        )
    }
    for indexed in SQLITE_INDEXED:
        if indexed.table not in existing:
            continue  # an older schema, without the index
        triggers = indexed.triggers()
        missing = [name for name in triggers if name not in existing]
        for name in missing:
            connection.execute(text(f"CREATE TRIGGER {name} {triggers[name]}"))
        if missing:
            for statement in indexed.refill():
                connection.execute(text(statement))


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Whether Alembic's comparison should look at ``name``: not the search's
    FTS tables (with their shadow tables) and trigram indexes are made by
    SQL of their own, not by the models."""
    return not (name or "").startswith(PREFIX)
