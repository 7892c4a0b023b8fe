"""Finding meetings by a word in what they hold: the memo's text, the
captures' titles and addresses, the pages the guest opened, the guest label.

One interface (:func:`matching`: the ids of the meetings that contain the
words, as a subquery the history runs once per page) with a backend per
database, each an index lookup per searched kind, their ids UNIONed. Both
have the same semantics: substring matching (Japanese has no spaces
between words), ASCII letters in any case, every other character as typed.

- SQLite: FTS5 tables with the trigram tokenizer
  (``server/storage/search_index.py`` keeps them filled by triggers). A
  query of three characters or more is a phrase MATCH answered from the
  index, then checked with LIKE (FTS5 folds the case of non-ASCII letters
  too, LIKE and PostgreSQL do not); a shorter one has no trigram to look
  up and is a LIKE over the same tables' text.
- PostgreSQL: GIN indexes on each searched text's bigrams, made by the
  ``search_grams`` SQL function (migration 0009): the rows holding every
  bigram of the query, then checked with ``strpos``. Not pg_trgm: it makes
  trigrams only of characters the server's locale calls alphanumeric, so
  under ``LC_CTYPE=C`` Japanese gives none and every search scans. The
  expressions below are the indexes' expressions, word for word, or the
  planner cannot use them. A one-character query has no bigram and scans.

Deleted data (retention, an admin's deletion) is gone from the tables, so
from the results too.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Integer, TextClause, text
from sqlalchemy.sql.selectable import TextualSelect

# The longest query taken (a search box, not a document).
MAX_QUERY_LENGTH = 100
# Below these, SQLite's trigram index and PostgreSQL's bigram index have
# nothing to look up.
TRIGRAM = 3
BIGRAM = 2
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(query: str) -> str:
    """ASCII letters in lower case, every other character as it is (as
    SQLite's LIKE and PostgreSQL's lower() under COLLATE "C" fold)."""
    return query.translate(ASCII_LOWER)


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
    # The LIKE after the MATCH checks only the rows the index found.
    MATCH = (
        "SELECT rowid AS meeting_id FROM search_memos WHERE search_memos MATCH :phrase "
        "AND body LIKE :like ESCAPE '\\' "
        "UNION SELECT meeting_id FROM search_captures WHERE search_captures MATCH :phrase "
        "AND body LIKE :like ESCAPE '\\' "
        "UNION SELECT meeting_id FROM search_pages WHERE search_pages MATCH :phrase "
        "AND body LIKE :like ESCAPE '\\' "
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
    # What each kind searches; the same expressions as migration 0009's
    # indexes. COLLATE "C": lower() folds ASCII letters only, whatever the
    # database's locale, as SQLite's LIKE does.
    KINDS = (
        ("SELECT meeting_id FROM meeting_memos WHERE ", "text"),
        ("SELECT meeting_id FROM captures WHERE ", "url || E'\\n' || title"),
        (
            "SELECT meeting_id FROM meeting_events WHERE type = 'page.visited' AND ",
            "coalesce(payload->>'url', '') || E'\\n' || coalesce(payload->>'title', '')",
        ),
        ("SELECT id FROM meetings WHERE ", "guest_label"),
    )

    def matching(self, query: str) -> TextualSelect:
        parts = []
        params = {"folded": ascii_lower(query)}
        for select, expression in self.KINDS:
            found = f'strpos(lower(({expression}) COLLATE "C"), :folded) > 0'
            if len(query) >= BIGRAM:
                found = f"search_grams({expression}) @> search_grams(:query) AND {found}"
                params["query"] = query
            parts.append(select + found)
        return text(" UNION ".join(parts)).bindparams(**params).columns(meeting_id=Integer)


BACKENDS: dict[str, SearchBackend] = {"sqlite": SqliteSearch(), "postgresql": PostgresSearch()}


def backend(dialect: str) -> SearchBackend:
    return BACKENDS[dialect]


def normalized(query: str) -> str:
    """The query as searched: printable, one line, single spaces, bounded."""
    printable = "".join(c if c.isprintable() else " " for c in query)
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]
