"""Finding meetings by a word in what they hold: the memo's text, the
captures' titles and addresses, the pages the guest opened, the guest label.

One interface (:func:`matching`: the ids of the meetings that contain the
words, as a subquery) with a backend per database, each with substring
semantics, because Japanese has no spaces between words:

- SQLite: FTS5 tables with the trigram tokenizer
  (``server/storage/search_index.py`` keeps them filled by triggers). A
  query of three characters or more is a phrase MATCH, answered from the
  index; a shorter one has no trigram to look up and is a LIKE over the
  same tables' text.
- PostgreSQL: ILIKE on the columns themselves, answered from trigram GIN
  indexes (``pg_trgm``, migration 0009); the expressions below are the
  indexes' expressions, word for word, or the planner cannot use them.

Both are case-insensitive for Latin letters. Deleted data (retention, an
admin's deletion) is gone from the tables, so from the results too.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Integer, TextClause, text
from sqlalchemy.sql.selectable import TextualSelect

# The longest query taken (a search box, not a document).
MAX_QUERY_LENGTH = 100
# Below this, SQLite's trigram index has nothing to look up.
TRIGRAM = 3


def like_pattern(query: str) -> str:
    """``%query%`` with LIKE's own characters taken literally."""
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SearchBackend(Protocol):
    def matching(self, query: str) -> TextualSelect:
        """``SELECT meeting_id`` of the meetings holding ``query``."""
        ...


class SqliteSearch:
    # ESCAPE also keeps the LIKE out of FTS5's own LIKE handling, which in
    # SQLite 3.40 misses short non-ASCII patterns ('%住所%' found nothing).
    LIKE = (
        "SELECT rowid AS meeting_id FROM search_memos WHERE body LIKE :like ESCAPE '\\' "
        "UNION SELECT meeting_id FROM search_captures WHERE body LIKE :like ESCAPE '\\' "
        "UNION SELECT meeting_id FROM search_pages WHERE body LIKE :like ESCAPE '\\' "
        "UNION SELECT id FROM meetings WHERE guest_label LIKE :like ESCAPE '\\'"
    )
    MATCH = (
        "SELECT rowid AS meeting_id FROM search_memos WHERE search_memos MATCH :phrase "
        "UNION SELECT meeting_id FROM search_captures WHERE search_captures MATCH :phrase "
        "UNION SELECT meeting_id FROM search_pages WHERE search_pages MATCH :phrase "
        "UNION SELECT id FROM meetings WHERE guest_label LIKE :like ESCAPE '\\'"
    )

    def matching(self, query: str) -> TextualSelect:
        params = {"like": like_pattern(query)}
        if len(query) < TRIGRAM:
            clause: TextClause = text(self.LIKE).bindparams(**params)
        else:
            phrase = '"' + query.replace('"', '""') + '"'
            clause = text(self.MATCH).bindparams(phrase=phrase, **params)
        return clause.columns(meeting_id=Integer)


class PostgresSearch:
    SQL = (
        "SELECT meeting_id FROM meeting_memos WHERE text ILIKE :like "
        "UNION SELECT meeting_id FROM captures WHERE (url || E'\\n' || title) ILIKE :like "
        "UNION SELECT meeting_id FROM meeting_events WHERE type = 'page.visited' AND "
        "(coalesce(payload->>'url', '') || E'\\n' || coalesce(payload->>'title', '')) "
        "ILIKE :like "
        "UNION SELECT id FROM meetings WHERE guest_label ILIKE :like"
    )

    def matching(self, query: str) -> TextualSelect:
        return text(self.SQL).bindparams(like=like_pattern(query)).columns(meeting_id=Integer)


BACKENDS: dict[str, SearchBackend] = {"sqlite": SqliteSearch(), "postgresql": PostgresSearch()}


def backend(dialect: str) -> SearchBackend:
    return BACKENDS[dialect]


def normalized(query: str) -> str:
    """The query as searched: printable, one line, single spaces, bounded."""
    printable = "".join(c if c.isprintable() else " " for c in query)
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]
