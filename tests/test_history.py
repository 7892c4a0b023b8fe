"""The history: columns, filters, search (memo, captures, visited pages,
guest label) and pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import event, select, text

from server.meetings import history
from server.meetings import search as search_module
from server.storage.database import create_engine, migrate
from server.storage.models import Capture, Meeting, MeetingEvent, MeetingMemo, User, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in
from tests.test_records import make_site, page_text, send_capture, set_memo


def listed(html: str) -> list[int]:
    """The meeting ids in the history's table, top to bottom."""
    return [int(m) for m in re.findall(r'<tr data-meeting="(\d+)">', html)]


async def search(client, **params) -> list[int]:
    response = await client.get("/meetings", params=params)
    assert response.status_code == 200
    return listed(response.text)


@pytest.fixture
async def two_meetings(app, host):
    """Two ended snippet meetings with different memos, captures and pages."""
    site_key = await make_site(app)
    ids = []
    for memo, title, url, page in (
        (
            "お客様の住所変更について相談。",
            "カート | Shop",
            "https://shop.example/cart",
            "/faq/ship",
        ),
        ("Refund for order 7781 approved.", "Checkout", "https://shop.example/pay", "/help/cards"),
    ):
        async with http_client(app, address="192.0.2.30") as guest:
            issued = (await guest.post("/api/v1/guest/numbers", json={"site_key": site_key})).json()
            guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
            started = (
                await host.post("/api/v1/meetings", json={"number": issued["number"]})
            ).json()
            await send_capture(guest, title, url)
            await guest.post(
                "/api/v1/guest/pages", json={"url": "https://shop.example" + page, "title": "FAQ"}
            )
            await set_memo(app, started["id"], memo)
            await host.post(f"/api/v1/meetings/{started['id']}/end")
            ids.append(started["id"])
    return ids


async def test_search_finds_a_meeting_by_a_word_of_its_memo(host, two_meetings):
    first, second = two_meetings
    assert await search(host, q="住所変更") == [first]  # inside a sentence: no spaces in Japanese
    assert await search(host, q="住所") == [first]  # two characters: below a trigram
    assert await search(host, q="REFUND") == [second]  # any case
    assert await search(host, q="7781") == [second]
    assert await search(host, q="解約") == []


async def test_search_finds_a_meeting_by_a_visited_page_or_a_capture(host, two_meetings):
    first, second = two_meetings
    assert await search(host, q="https://shop.example/help/cards") == [second]
    assert await search(host, q="faq/ship") == [first]
    assert await search(host, q="カート") == [first]
    assert await search(host, q="shop.example/pay") == [second]
    # LIKE's own characters are taken literally.
    assert await search(host, q="%") == []
    assert await search(host, q="shop_example") == []


async def test_the_index_follows_a_memo_edit_and_a_deletion(app, host, make_user, two_meetings):
    first, _ = two_meetings
    async with services(app).db.begin() as db:
        memo = await db.get(MeetingMemo, first)
        memo.text = "キャンセル待ちの件"
    assert await search(host, q="住所変更") == []
    assert await search(host, q="キャンセル待ち") == [first]

    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        token = await csrf_token(admin)
        await admin.delete(f"/api/v1/meetings/{first}/data", headers={"x-csrf-token": token})
    # The deleted captures and the scrubbed page are no longer found.
    assert await search(host, q="カート") == []
    assert await search(host, q="faq/ship") == []


async def test_the_label_is_searched_and_the_columns_are_filled(host, two_meetings):
    first, _ = two_meetings
    await host.patch(f"/api/v1/meetings/{first}", json={"guest_label": "山田様"})
    assert await search(host, q="山田") == [first]
    page = await host.get("/meetings")
    row = re.search(rf'<tr data-meeting="{first}">(.*?)</tr>', page.text, re.S).group(1)
    cells = [page_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    # #, guest, site, source, host, state, started, duration, captures, memo
    assert cells[1:6] == [
        "山田様",
        "Shop",
        "画面サポート（サイト）",
        "tanaka",
        "終了 (担当者が終了)",
    ]
    assert re.fullmatch(r"\d\d:\d\d", cells[7])
    assert cells[8] == "1"
    assert cells[9] == "お客様の住所変更について相談。"
    assert "2 件" in page_text(page.text)


async def test_an_sms_meeting_shows_how_it_started_not_a_dash(host):
    made = (await host.post("/api/v1/meetings/by-link", json={"phone": "090-1234-5678"})).json()
    page = await host.get("/meetings")
    row = re.search(rf'<tr data-meeting="{made["meeting"]["id"]}">(.*?)</tr>', page.text, re.S)
    assert "リンク（SMS・QR）" in page_text(row.group(1))


async def insert_meetings(app, rows: list[dict]) -> list[int]:
    async with services(app).db.begin() as db:
        meetings = [Meeting(**row) for row in rows]
        db.add_all(meetings)
        await db.flush()
        return [meeting.id for meeting in meetings]


async def host_id(app, username: str) -> int:
    async with services(app).db() as db:
        return await db.scalar(select(User.id).where(User.username == username))


async def test_filters_narrow_the_history(app, host, make_user):
    me = await host_id(app, "tanaka")
    other = (await make_user("suzuki")).id
    now = utcnow()
    site_key = await make_site(app, "Garden")
    async with services(app).db() as db:
        site_id = await db.scalar(text("SELECT id FROM sites WHERE site_key = :k"), {"k": site_key})
    old, snippet, live, others = await insert_meetings(
        app,
        [
            {
                "host_id": me,
                "state": "ended",
                "source": "number",
                "created_at": now - timedelta(days=10),
            },
            {
                "host_id": me,
                "state": "ended",
                "source": "snippet",
                "site_id": site_id,
                "created_at": now,
            },
            {"host_id": me, "state": "active", "source": "link", "created_at": now},
            {"host_id": other, "state": "ended", "source": "number", "created_at": now},
        ],
    )
    # A host sees only their own, whatever the host filter says.
    assert await search(host) == [live, snippet, old]
    assert await search(host, host=str(other)) == [live, snippet, old]
    assert await search(host, source="snippet") == [snippet]
    assert await search(host, site=str(site_id)) == [snippet]
    assert await search(host, state="active") == [live]
    today = now.date().isoformat()
    assert await search(host, **{"from": today, "to": today}) == [live, snippet]
    past = (now - timedelta(days=10)).date().isoformat()
    assert await search(host, to=past) == [old]
    # A value the form does not offer is ignored, not an error.
    assert await search(host, source="fax", state="x", site="abc") == [live, snippet, old]

    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        assert await search(admin, host=str(other)) == [others]
        assert await search(admin) == [others, live, snippet, old]


async def test_pages_are_stable_and_go_both_ways(app, host):
    me = await host_id(app, "tanaka")
    ids = await insert_meetings(
        app, [{"host_id": me, "state": "ended", "source": "number"} for _ in range(55)]
    )
    newest_first = sorted(ids, reverse=True)
    first = await host.get("/meetings")
    assert listed(first.text) == newest_first[:50]
    assert "55 件" in page_text(first.text)
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    assert 'rel="prev"' not in first.text
    # A meeting that starts meanwhile shifts nothing on the next page.
    await insert_meetings(app, [{"host_id": me, "state": "active", "source": "number"}])
    second = await host.get(older)
    assert listed(second.text) == newest_first[50:]
    assert 'rel="next"' not in second.text
    newer = re.search(r'<a href="([^"]+)" rel="prev">', second.text).group(1).replace("&amp;", "&")
    back = await host.get(newer)
    assert listed(back.text) == newest_first[:50]
    assert parse_qs(urlparse(newer).query)["after"] == [str(newest_first[50])]


async def test_filters_and_search_are_kept_across_pages(app, host):
    me = await host_id(app, "tanaka")
    ids = await insert_meetings(
        app, [{"host_id": me, "state": "ended", "source": "number"} for _ in range(52)]
    )
    async with services(app).db.begin() as db:
        for meeting_id in ids:
            db.add(MeetingMemo(meeting_id=meeting_id, state=b"", text=f"定期点検 {meeting_id}"))
    first = await host.get("/meetings", params={"q": "定期点検", "state": "ended"})
    older = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    assert parse_qs(urlparse(older).query)["q"] == ["定期点検"]
    second = await host.get(older)
    assert listed(second.text) == sorted(ids, reverse=True)[50:]


async def held(app, host_name: str, **kinds: str) -> int:
    """An ended meeting of ``host_name`` holding text of the given kinds
    (memo, capture title, page title, label), written as the app stores
    them."""
    me = await host_id(app, host_name)
    async with services(app).db.begin() as db:
        meeting = Meeting(
            host_id=me, state="ended", source="number", guest_label=kinds.get("label")
        )
        db.add(meeting)
        await db.flush()
        if "memo" in kinds:
            db.add(MeetingMemo(meeting_id=meeting.id, state=b"", text=kinds["memo"]))
        if "capture" in kinds:
            db.add(
                Capture(
                    meeting_id=meeting.id,
                    url="https://shop.example/form",
                    title=kinds["capture"],
                    width=390,
                    height=844,
                    thumbnail_width=180,
                    thumbnail_height=390,
                    source_format="png",
                    source_bytes=1,
                    sha256="0" * 64,
                    media_type="image/jpeg",
                    image_key=f"i{meeting.id}",
                    thumbnail_key=f"t{meeting.id}",
                )
            )
        if "page" in kinds:
            db.add(
                MeetingEvent(
                    meeting_id=meeting.id,
                    type="page.visited",
                    payload={"url": "https://shop.example/p", "title": kinds["page"]},
                )
            )
        return meeting.id


async def test_japanese_is_found_by_any_part_of_a_sentence(app, host):
    """No spaces between Japanese words: any run of characters inside the
    text finds it, three characters or more (SQLite's trigram index), two
    (a surname; PostgreSQL's bigram index, SQLite's scan) or one."""
    memo = await held(app, "tanaka", memo="本日は山田様の口座振替のお手続きを承りました。")
    capture = await held(app, "tanaka", capture="お届け先住所の入力｜ショップ")
    page = await held(app, "tanaka", page="よくあるご質問：返品について")
    label = await held(app, "tanaka", label="佐々木様（法人）")
    await held(app, "tanaka", memo="在庫の確認のみ。")  # holds none of the words below

    assert await search(host, q="口座振替のお手続き") == [memo]
    assert await search(host, q="山田様の口座") == [memo]  # across word boundaries
    assert await search(host, q="先住所の") == [capture]
    assert await search(host, q="返品につい") == [page]
    assert await search(host, q="佐々木様") == [label]
    assert await search(host, q="山田") == [memo]
    assert await search(host, q="返品") == [page]
    assert await search(host, q="届け") == [capture]
    assert await search(host, q="々木") == [label]
    assert await search(host, q="様") == [label, memo]  # one character
    assert await search(host, q="山田太郎") == []  # every character must be there, in order
    assert await search(host, q="振替口座") == []
    assert await search(host, q="田山") == []


async def test_only_ascii_letters_fold_on_either_database(app, host):
    """One semantics on SQLite and PostgreSQL, whatever the server's
    locale: ASCII letters in any case; other characters as typed (SQLite's
    index folds more, PostgreSQL's lower() folds per locale)."""
    latin = await held(app, "tanaka", memo="Order ABC-123 for Ärger GmbH")
    wide = await held(app, "tanaka", memo="ＡＢＣ株式会社")
    assert await search(host, q="abc-123") == [latin]
    assert await search(host, q="oRDER") == [latin]
    assert await search(host, q="Ärger") == [latin]
    assert await search(host, q="ärger") == []
    assert await search(host, q="ＡＢＣ") == [wide]
    assert await search(host, q="ａｂｃ") == []
    assert await search(host, q="bC") == [latin]  # two letters


async def test_each_kind_is_looked_up_in_its_index(app, host, database_url):
    """Each searched kind is an index lookup, not a scan of every memo,
    capture and page (PostgreSQL used to scan: 250-560 ms at 10,000
    meetings, for a word found nowhere). Sequential scans are turned off so
    the answer does not hang on a tiny table's statistics: the point is
    that the query's expressions are the indexes'."""
    await held(app, "tanaka", memo="口座振替", capture="口座振替", page="口座振替", label="口座")
    async with services(app).db() as db:
        backend = search_module.backend(db.bind.dialect.name)
        statement = backend.matching("口座振替")
        sql = str(
            statement.compile(dialect=db.bind.dialect, compile_kwargs={"literal_binds": True})
        )
        if database_url.startswith("sqlite"):
            plan = await (await db.connection()).exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
            lines = " ".join(row[-1] for row in plan)
            for table in ("search_memos", "search_captures", "search_pages"):
                # FTS5's plan names a MATCH "M"; a full scan has no letter.
                assert re.search(rf"SCAN {table} VIRTUAL TABLE INDEX \d+:M", lines)
        else:
            await db.execute(text("SET LOCAL enable_seqscan = off"))
            plan = await (await db.connection()).exec_driver_sql(f"EXPLAIN {sql}")
            lines = " ".join(row[0] for row in plan)
            for index in ("search_memos", "search_captures", "search_pages", "search_labels"):
                assert f"Bitmap Index Scan on {index}" in lines
            assert "Seq Scan" not in lines


async def test_a_page_searches_once(app, host):
    """The page, its total and whether there is more are one statement: the
    search runs once per page, not three or four times."""
    me = await host_id(app, "tanaka")
    ids = [await held(app, "tanaka", memo=f"定期点検 {n}") for n in range(5)]
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = services(app).engine.sync_engine
    async with services(app).db() as db:
        owner = await db.get(User, me)
        event.listen(engine, "before_cursor_execute", seen)
        try:
            page = await history.find(
                db, owner, history.Filters(query="定期点検"), before=ids[3], size=2
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert [row.meeting.id for row in page.rows] == [ids[2], ids[1]]
    assert page.total == 5
    assert (page.newer, page.older) == (ids[2], ids[1])
    searched = [s for s in statements if "hits" in s]
    assert len(searched) == 1


def test_a_lost_trigger_is_put_back_and_the_index_refilled(tmp_path):
    """A later migration that rebuilds a searched table on SQLite drops its
    triggers; every migration run puts them back and refills the index."""
    import anyio

    url = f"sqlite+aiosqlite:///{tmp_path / 'index.db'}"

    async def scenario() -> list[int]:
        engine = create_engine(url)
        try:
            await migrate(engine)
            async with engine.begin() as connection:
                await connection.execute(text("DROP TRIGGER search_pages_insert"))
                await connection.execute(
                    text(
                        "INSERT INTO users (id, username, display_name, password_hash, role, "
                        "is_active, created_at, password_changed_at) "
                        "VALUES (1, 'a', '', 'x', 'host', 1, '2026-01-01', '2026-01-01')"
                    )
                )
                await connection.execute(
                    text(
                        "INSERT INTO meetings (id, host_id, state, source, created_at, "
                        "guest_connected) VALUES (1, 1, 'ended', 'number', '2026-01-01', 0)"
                    )
                )
                await connection.execute(
                    text(
                        "INSERT INTO meeting_events (meeting_id, type, created_at, payload) "
                        "VALUES (1, 'page.visited', '2026-01-01', "
                        '\'{"url": "https://a.example/lost", "title": "t"}\')'
                    )
                )
            await migrate(engine)
            async with engine.connect() as connection:
                found = await connection.execute(
                    text("SELECT meeting_id FROM search_pages WHERE search_pages MATCH '\"lost\"'")
                )
                return [row[0] for row in found]
        finally:
            await engine.dispose()

    assert anyio.run(scenario) == [1]


async def api_ids(client, **params) -> list[int]:
    response = await client.get("/api/v1/meetings", params=params)
    assert response.status_code == 200, response.text
    return [meeting["id"] for meeting in response.json()["meetings"]]


async def test_the_api_searches_and_filters_as_the_history_does(app, host, make_user):
    memo = await held(app, "tanaka", memo="山田様の口座振替の件。")
    page = await held(app, "tanaka", page="返品について", label="佐藤様")
    other = (await make_user("suzuki")).id
    theirs = await held(app, "suzuki", memo="山田様の口座振替の件。")
    async with services(app).db.begin() as db:
        (await db.get(Meeting, page)).source = "snippet"

    assert await api_ids(host, q="口座振替") == [memo]  # another host's is not found
    assert await api_ids(host, q="山田") == [memo]
    assert await api_ids(host, q="返品", state="ended") == [page]
    assert await api_ids(host, q="佐藤") == [page]
    assert await api_ids(host, q="口座振替", source="snippet") == []
    assert await api_ids(host, source="snippet") == [page]
    assert await api_ids(host, host=str(other)) == []  # a host sees only their own
    today = (utcnow() + timedelta(hours=9)).date()  # in Japan (tz=540)
    days = {"from": today.isoformat(), "to": today.isoformat(), "tz": "540"}
    assert await api_ids(host, **days) == [page, memo]
    assert await api_ids(host, **{**days, "from": (today + timedelta(days=1)).isoformat()}) == []
    found = (await host.get("/api/v1/meetings", params={"q": "様"})).json()
    assert [m["id"] for m in found["meetings"]] == [page, memo]
    assert (found["total"], found["older"], found["newer"]) == (2, None, None)
    assert found["meetings"][0]["guest_label"] == "佐藤様"

    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        assert await api_ids(admin, q="口座振替") == [theirs, memo]
        assert await api_ids(admin, q="口座振替", host=str(other)) == [theirs]
        assert await api_ids(admin, q="口座振替", host="me") == []


async def test_the_api_pages_with_cursors_and_a_total(app, host):
    ids = [await held(app, "tanaka", memo=f"定期点検 {n}") for n in range(5)]
    await held(app, "tanaka", memo="別件")
    first = (await host.get("/api/v1/meetings", params={"q": "定期点検", "limit": "2"})).json()
    assert [m["id"] for m in first["meetings"]] == [ids[4], ids[3]]
    assert (first["total"], first["newer"], first["older"]) == (5, None, ids[3])
    params = {"q": "定期点検", "limit": "2", "before": str(first["older"])}
    second = (await host.get("/api/v1/meetings", params=params)).json()
    assert [m["id"] for m in second["meetings"]] == [ids[2], ids[1]]
    assert (second["total"], second["newer"], second["older"]) == (5, ids[2], ids[1])
    params = {"q": "定期点検", "limit": "2", "after": str(second["newer"])}
    back = (await host.get("/api/v1/meetings", params=params)).json()
    assert [m["id"] for m in back["meetings"]] == [ids[4], ids[3]]
    params = {"q": "定期点検", "limit": "2", "before": str(ids[1])}
    last = (await host.get("/api/v1/meetings", params=params)).json()
    assert [m["id"] for m in last["meetings"]] == [ids[0]]
    assert (last["newer"], last["older"]) == (ids[0], None)
    params = {"q": "定期点検", "before": str(ids[0])}
    beyond = (await host.get("/api/v1/meetings", params=params)).json()
    assert (beyond["meetings"], beyond["total"], beyond["older"]) == ([], 5, None)


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({"source": "fax"}, "invalid_source", "number, snippet, link"),
        ({"from": "2026-13-01"}, "invalid_date", "from"),
        ({"site": "abc"}, "invalid_id_filter", "site"),
        ({"before": "-1"}, "invalid_id_filter", "before"),
        ({"tz": "--5"}, "invalid_tz", "540"),
        ({"tz": "901"}, "invalid_tz", "900"),
        ({"limit": "0"}, "invalid_limit", "100"),
        ({"limit": "101"}, "invalid_limit", "100"),
        ({"q": "あ" * 101}, "query_too_long", "100"),
        ({"state": "gone"}, "invalid_state", "live"),
    ],
)
async def test_the_api_refuses_a_filter_it_cannot_apply(host, params, code, message):
    response = await host.get("/api/v1/meetings", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert message in error["message"]


async def test_a_malformed_time_zone_on_the_history_page_is_ignored(host):
    """The page's form ignores what it does not offer, "--5" included (it
    used to be a 500)."""
    response = await host.get("/meetings", params={"tz": "--5"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["before", "after", "host", "site"])
async def test_the_api_refuses_an_id_beyond_any_record(host, name):
    """An id no database INTEGER holds is a typo to hear of (it was a 500
    on PostgreSQL)."""
    response = await host.get("/api/v1/meetings", params={name: "99999999999"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_id_filter"
    assert name in error["message"]


@pytest.mark.parametrize("name", ["before", "after", "site", "host"])
async def test_the_history_page_ignores_an_id_beyond_any_record(app, make_user, name):
    boss = await make_user("boss", role="admin")
    [meeting] = await insert_meetings(app, [{"host_id": boss.id, "state": "ended"}])
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        response = await admin.get("/meetings", params={name: "99999999999"})
    assert response.status_code == 200
    assert listed(response.text) == [meeting]


@pytest.mark.parametrize(
    "params",
    [
        {"to": "9999-12-31"},
        {"from": "9999-12-31"},
        {"from": "0001-01-01", "tz": "60"},
        {"to": "0001-01-01", "tz": "60"},
    ],
)
async def test_the_api_refuses_a_date_beyond_the_calendar(host, params):
    """The first and last days of the calendar have no day after or
    before them in another zone (it was a 500)."""
    response = await host.get("/api/v1/meetings", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_date"
    assert "1900" in error["message"] and "9998" in error["message"]


@pytest.mark.parametrize(
    "params",
    [{"to": "9999-12-31"}, {"from": "0001-01-01", "tz": "60"}, {"to": "0001-01-01", "tz": "60"}],
)
async def test_the_history_page_ignores_a_date_beyond_the_calendar(app, host, params):
    [meeting] = await insert_meetings(app, [{"host_id": await host_id(app, "tanaka")}])
    response = await host.get("/meetings", params=params)
    assert response.status_code == 200
    assert listed(response.text) == [meeting]
