"""Record ids in URL paths.

Starlette's ``int`` convertor accepts any number of digits, and a number
beyond a database INTEGER makes the query itself fail (an overflow on SQLite,
a DataError on PostgreSQL): a 500 for a mistyped URL. The ``id`` convertor
turns such numbers into 0, which no row has (ids start at 1), so the usual
lookup answers "not found".
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_ID = 2**31 - 1  # the smallest INTEGER among the supported databases


class RecordId(Convertor[int]):
    regex = "[0-9]+"

    def convert(self, value: str) -> int:
        if len(value) > 10:
            return 0
        number = int(value)
        return number if number <= MAX_ID else 0

    def to_string(self, value: int) -> str:
        return str(value)


def register() -> None:
    """Make ``{name:id}`` available in route paths (idempotent)."""
    register_url_convertor("id", RecordId())
