"""History search over 10,000 meetings, on SQLite and PostgreSQL.

Each meeting has a memo (a few Japanese sentences), one to three captures
(rows only: titles and addresses; no images) and two to four visited
pages, as the record keeps them; one in a hundred has a guest label.
Measured in-process through ``server.meetings.history.find`` (what the
history page runs: one page of 50, its total, its columns), against the
unfiltered first page in the same run (the baseline: what opening 履歴
costs).

Run: ``.venv/bin/python -m bench.history [--meetings N] [--runs R]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]``. With
``--postgres`` a throwaway database is created on that server and dropped
afterwards; without it, only SQLite is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.numbers import throwaway_postgres
from server.meetings import history
from server.storage.database import create_engine, migrate, session_factory
from server.storage.models import Capture, Meeting, MeetingEvent, MeetingMemo, User, utcnow

WORDS = [
    "住所変更",
    "口座振替",
    "解約",
    "請求書",
    "配送先",
    "支店",
    "折り返し",
    "見積もり",
    "契約更新",
    "本人確認",
    "パスワード再設定",
    "ログイン",
    "できない",
    "在庫",
    "返品",
    "交換",
    "領収書",
    "ポイント",
    "会員登録",
    "支払い方法",
    "クレジットカード",
    "分割",
    "定期便",
    "キャンセル",
    "予約",
    "日程",
    "変更",
    "確認済み",
]
PAGES = ("cart", "checkout", "faq", "help", "account", "orders", "items", "support")
# What is searched, and what each stands for.
QUERIES = (
    ("rare memo word (1 meeting)", "合言葉ゼブラ"),
    ("common memo word", "住所変更"),
    ("two characters, common", "返品"),
    ("two characters, rare (a surname)", "山田"),
    ("one character", "返"),
    ("URL fragment", "/orders/77"),
    ("capture title", "お届け先の入力"),
    ("no match", "存在しない語句"),
)


def memo(rng: random.Random) -> str:
    return "。".join("".join(rng.sample(WORDS, 3)) for _ in range(rng.randint(2, 6))) + "。"


async def fill(url: str, meetings: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = create_engine(url)
    await migrate(engine)
    now = utcnow()
    async with session_factory(engine)() as db, db.begin():
        user = User(username="bench", password_hash="-", role="host")  # noqa: S106
        db.add(user)
        await db.flush()
        rows, memos, captures, events = [], [], [], []
        for number in range(1, meetings + 1):
            started = now - timedelta(minutes=10 * (meetings - number))
            # Labels from the number, not the generator: the rest of the
            # data stays what it was before labels were added.
            label = None if number % 100 else ("山田様" if number % 1000 == 0 else "佐藤様")
            rows.append(
                {
                    "id": number,
                    "guest_label": label,
                    "host_id": user.id,
                    "state": "ended",
                    "source": rng.choice(("number", "snippet", "link")),
                    "created_at": started,
                    "started_at": started,
                    "ended_at": started + timedelta(minutes=rng.randint(3, 40)),
                }
            )
            text = memo(rng) + ("合言葉ゼブラ" if number == meetings // 2 else "")
            memos.append({"meeting_id": number, "state": b"", "text": text})
            for index in range(rng.randint(1, 3)):
                title = "お届け先の入力" if number == 42 and index == 0 else rng.choice(WORDS)
                captures.append(
                    {
                        "meeting_id": number,
                        "created_at": started,
                        "url": f"https://shop.example/{rng.choice(PAGES)}/{rng.randint(1, 9999)}",
                        "title": title,
                        "width": 1170,
                        "height": 2532,
                        "thumbnail_width": 180,
                        "thumbnail_height": 390,
                        "source_format": "png",
                        "source_bytes": 1,
                        "sha256": "0" * 64,
                        "media_type": "image/jpeg",
                        "image_key": f"i{number}-{index}",
                        "thumbnail_key": f"t{number}-{index}",
                    }
                )
            for index in range(rng.randint(2, 4)):
                path = "orders/77" if number == 4242 and index == 0 else rng.choice(PAGES)
                events.append(
                    {
                        "meeting_id": number,
                        "type": "page.visited",
                        "created_at": started,
                        "payload": {
                            "url": f"https://shop.example/{path}?p={rng.randint(1, 99)}",
                            "title": rng.choice(WORDS),
                        },
                    }
                )
        for table, values in (
            (Meeting, rows),
            (MeetingMemo, memos),
            (Capture, captures),
            (MeetingEvent, events),
        ):
            for start in range(0, len(values), 2000):
                await db.execute(insert(table), values[start : start + 2000])
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.exec_driver_sql("COMMIT")
            await connection.exec_driver_sql("ANALYZE")
    await engine.dispose()


async def timed(url: str, filters: history.Filters, runs: int) -> tuple[list[float], int]:
    engine = create_engine(url)
    factory = session_factory(engine)
    times, total = [], 0
    try:
        async with factory() as db:
            user = await db.get(User, 1)
            assert user is not None
            for _ in range(runs + 2):
                start = time.perf_counter()
                page = await history.find(db, user, filters)
                times.append((time.perf_counter() - start) * 1000)
                total = page.total
    finally:
        await engine.dispose()
    return times[2:], total  # the first two warm caches and prepared statements


async def measure(url: str, runs: int) -> list[tuple[str, float, float, int]]:
    cases = [("first page, unfiltered (baseline)", history.Filters())]
    cases += [
        (f"search: {name} «{query}»", history.Filters(query=query)) for name, query in QUERIES
    ]
    cases.append(("filter: source = snippet", history.Filters(source="snippet")))
    found = []
    for name, filters in cases:
        times, total = await timed(url, filters, runs)
        found.append(
            (name, statistics.median(times), sorted(times)[int(len(times) * 0.95) - 1], total)
        )
    return found


def table(backend: str, results: list[tuple[str, float, float, int]], meetings: int) -> str:
    base = results[0][1]
    lines = [
        f"**{backend}**, {meetings:,} meetings",
        "",
        "| query | found | median ms | p95 ms | × baseline |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, median, p95, total in results:
        lines.append(f"| {name} | {total:,} | {median:.1f} | {p95:.1f} | {median / base:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (postgresql://...)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        asyncio.run(fill(url, args.meetings))
        print(table("SQLite (FTS5 trigram)", asyncio.run(measure(url, args.runs)), args.meetings))
    if args.postgres:
        with throwaway_postgres(args.postgres) as url:
            asyncio.run(fill(url, args.meetings))
            results = asyncio.run(measure(url, args.runs))
            print()
            print(table("PostgreSQL (bigram GIN)", results, args.meetings))


if __name__ == "__main__":
    main()
