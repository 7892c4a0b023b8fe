"""Files in real browsers (issue #15): a 20 MB file each way between the
host at the console (1280x800) and a phone guest (390x844), with progress,
the other side told, and the bytes intact; a 51 MB file refused while it is
sent; an HTML file named ``../../x.html`` saved, never shown."""

from __future__ import annotations

import hashlib
import os
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.test_memo_browser import PHONE, connected
from tests.test_snippet_browser import Guest as SnippetGuest
from tests.test_snippet_browser import site_with_pages

pytestmark = pytest.mark.browser

# Every value the page's <progress> took, kept by the page as it goes.
WATCH_PROGRESS = """(selector) => {
  window.progressSeen = [];
  const watch = (bar) => new MutationObserver(() => window.progressSeen.push(Number(bar.value)))
    .observe(bar, { attributes: true, attributeFilter: ["value"] });
  const bar = document.querySelector(selector);
  if (bar) watch(bar);
}"""


def big_file(folder, name: str, size: int):
    path = folder / name
    with path.open("wb") as handle:
        for _ in range(size // (1024 * 1024)):
            handle.write(os.urandom(1024 * 1024))
        handle.write(os.urandom(size % (1024 * 1024)))
    return path


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_files_tool(host):
    tool = host.locator("#tool-files")
    expect(host.locator("#elapsed")).not_to_have_text("—")
    if tool.get_attribute("aria-expanded") != "true":
        tool.click()
    expect(tool).to_have_attribute("aria-expanded", "true")
    expect(host.locator("#files-lead")).to_contain_text("50 MB")


def progressed(page) -> list[float]:
    return page.evaluate("window.progressSeen")


def test_a_20_mb_file_goes_each_way_with_progress_and_arrives_intact(
    new_page, live_server, tmp_path
):
    host, guest = connected(new_page, live_server)
    to_guest = big_file(tmp_path, "見積書.pdf", 20 * 1024 * 1024)
    to_host = big_file(tmp_path, "photo.jpg", 20 * 1024 * 1024 + 123)

    # Host to guest.
    open_files_tool(host)
    host.evaluate(WATCH_PROGRESS, "#files-progress")
    host.locator("#files-input").set_input_files(to_guest)
    expect(host.locator("#files-status")).to_have_text("「見積書.pdf」を送りました。")
    assert any(0 < value < 100 for value in progressed(host))
    # The bar said what it measured.
    expect(host.locator("#files-progress")).to_have_attribute(
        "aria-label", "「見積書.pdf」を送信中"
    )
    section = guest.locator("#files-section")
    expect(section.get_by_role("status")).to_have_text(
        "担当者からファイル「見積書.pdf」が届きました。「保存」で保存できます。"
    )
    with guest.expect_download() as saving:
        section.get_by_role("button", name="保存: 見積書.pdf").tap()
    download = saving.value
    assert download.suggested_filename == "見積書.pdf"
    assert sha256_of(download.path()) == sha256_of(to_guest)

    # Guest to host, the host's panel closed: the rail's button is marked.
    host.locator("#tool-files").click()
    expect(host.locator("#tool-files")).to_have_attribute("aria-expanded", "false")
    guest.evaluate(WATCH_PROGRESS, "#files-section progress")
    section.locator("input[type=file]").set_input_files(to_host)
    expect(section.get_by_role("status")).to_have_text("「photo.jpg」を送りました。")
    assert any(0 < value < 100 for value in progressed(guest))
    expect(section.locator("progress")).to_have_attribute("aria-label", "「photo.jpg」を送信中")
    arrived = "お客様 1 からファイル「photo.jpg」が届きました"
    expect(host.locator("#announcer")).to_have_text(arrived + "。")
    expect(host.locator("#timeline")).to_contain_text(arrived)
    expect(host.locator("#tool-files .rail-badge")).to_be_visible()
    open_files_tool(host)
    expect(host.locator("#tool-files .rail-badge")).to_have_count(0)
    item = host.locator("#files-list li", has_text="photo.jpg")
    expect(item).to_contain_text("お客様 1")
    with host.expect_download() as saving:
        item.get_by_role("link", name="ダウンロード: photo.jpg").click()
    assert sha256_of(saving.value.path()) == sha256_of(to_host)


def stored_blobs(live_server) -> set[str]:
    return {path.name for path in (live_server.data_dir / "blobs").rglob("*") if path.is_file()}


def test_a_51_mb_file_is_refused_with_a_clear_message_and_nothing_is_kept(
    new_page, live_server, tmp_path
):
    host, guest = connected(new_page, live_server)
    too_big = big_file(tmp_path, "video.mov", 51 * 1024 * 1024)
    section = guest.locator("#files-section")
    expect(section.get_by_text("ファイルを送る")).to_be_visible()
    blobs_before = stored_blobs(live_server)

    section.locator("input[type=file]").set_input_files(too_big)

    expect(section.get_by_role("alert")).to_have_text(
        "「video.mov」を送れませんでした。ファイルが大きすぎます。送れるのは 50 MB までです。"
    )
    open_files_tool(host)
    expect(host.locator("#files-list")).to_have_text("まだファイルはありません。")
    meeting_id = re.search(r"/meetings/(\d+)$", host.url).group(1)
    listed = host.request.get(f"{live_server.url}/api/v1/meetings/{meeting_id}/files").json()
    assert listed["files"] == []
    assert stored_blobs(live_server) == blobs_before  # not a byte of it kept


def test_an_html_file_named_with_a_path_is_saved_under_a_safe_name_and_never_shown(
    new_page, live_server
):
    host, guest = connected(new_page, live_server)
    page = b"<!DOCTYPE html><html><body><h1 id=pwned>rendered</h1></body></html>"
    open_files_tool(host)

    host.locator("#files-input").set_input_files(
        [{"name": "../../x.html", "mimeType": "text/html", "buffer": page}]
    )

    section = guest.locator("#files-section")
    save = section.get_by_role("button", name="保存: x.html")
    expect(save).to_be_visible()
    before = guest.url
    with guest.expect_download() as saving:
        save.tap()
    download = saving.value
    assert download.suggested_filename == "x.html"
    assert download.path().read_bytes() == page
    # Saved, not opened: the page is still the meeting, in one tab.
    assert guest.url == before
    assert guest.context.pages == [guest]
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    link = host.locator("#files-list a", has_text="ダウンロード")
    answer = host.request.get(live_server.url + link.get_attribute("href"))
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"] == 'attachment; filename="x.html"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == "sandbox"


def test_a_snippet_guest_sends_and_saves_files_from_the_bar(new_page, live_server, tmp_path):
    pages = site_with_pages(live_server, "File pages", [])
    try:
        guest = SnippetGuest(new_page(**PHONE), live_server)
        guest.page.goto(pages.url("index.html"))
        number = guest.number()
        host = console_host(new_page, live_server)
        type_number(host, number)
        expect(guest.bar()).to_contain_text("接続中")
        # The files' code is not loaded before the guest opens the panel.
        assert not guest.page.evaluate(
            "performance.getEntriesByType('resource').some((e) => e.name.includes('files.js'))"
        )
        open_files_tool(host)
        host.locator("#files-input").set_input_files(
            [{"name": "案内.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 guide"}]
        )
        # Told at once, in the bar.
        expect(
            guest.text("担当者からファイル「案内.pdf」が届きました。「保存」で保存できます。")
        ).to_be_visible()
        # A second one before the panel is opened is counted, not put in
        # the first one's place.
        host.locator("#files-input").set_input_files(
            [{"name": "地図.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 map"}]
        )
        expect(
            guest.text("担当者からファイルが 2 件届きました。「保存」で保存できます。")
        ).to_be_visible()

        guest.open_tool("ファイルを開く")

        panel = guest.page.get_by_role("dialog", name="ファイル")
        with guest.page.expect_download() as saving:
            panel.get_by_role("button", name="保存: 案内.pdf").tap()
        assert saving.value.path().read_bytes() == b"%PDF-1.4 guide"
        sent = tmp_path / "receipt.png"
        sent.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000))
        panel.locator("input[type=file]").set_input_files(sent)
        expect(panel.get_by_role("status")).to_have_text("「receipt.png」を送りました。")
        expect(host.locator("#files-list")).to_contain_text("receipt.png")
        assert not guest.errors
    finally:
        pages.stop()


# A file dropped on an element, as a drag from the desktop would drop it.
DROP = """([selector, name]) => {
  const data = new DataTransfer();
  data.items.add(new File(["%PDF-1.4 " + name], name, { type: "application/pdf" }));
  const target = document.querySelector(selector);
  const over = new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true });
  target.dispatchEvent(over);
  const drop = new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
  target.dispatchEvent(drop);
  return { taken: over.defaultPrevented, effect: data.dropEffect };
}"""


def test_a_file_dropped_on_the_stage_is_not_sent_only_one_dropped_on_the_panel(
    new_page, live_server
):
    host, _guest = connected(new_page, live_server)
    open_files_tool(host)

    on_stage = host.evaluate(DROP, ["#stage", "資料にするつもり.pdf"])
    host.evaluate(DROP, ["#files-drop", "見積書.pdf"])

    expect(host.locator("#files-status")).to_have_text("「見積書.pdf」を送りました。")
    expect(host.locator("#files-list li")).to_have_count(1)
    expect(host.locator("#files-list")).not_to_contain_text("資料にするつもり")
    # Refused where it fell, rather than opened by the browser in place of the meeting.
    assert on_stage == {"taken": True, "effect": "none"}


def test_a_file_whose_last_answer_was_lost_is_reported_sent_once(new_page, live_server):
    host, guest = connected(new_page, live_server)
    section = guest.locator("#files-section")
    expect(section.get_by_text("ファイルを送る")).to_be_visible()
    cut = []

    def deliver_then_drop(route):
        # The server gets the whole file; the phone never hears back.
        route.fetch()
        cut.append(route.request.url)
        route.abort("connectionreset")

    guest.route(re.compile(r"/api/v1/guest/files/uploads/[0-9a-f]{32}\?offset="), deliver_then_drop)
    section.locator("input[type=file]").set_input_files(
        [{"name": "領収書.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 receipt"}]
    )

    expect(section.get_by_role("status")).to_have_text("「領収書.pdf」を送りました。")
    expect(section.get_by_role("alert")).to_be_hidden()
    assert len(cut) == 1
    open_files_tool(host)
    expect(host.locator("#files-list li")).to_have_count(1)
    expect(host.locator("#files-list")).to_contain_text("領収書.pdf")


def test_a_phone_guest_is_told_at_the_top_when_files_arrive_and_sees_them_saved(
    new_page, live_server
):
    host, guest = connected(new_page, live_server)
    open_files_tool(host)
    toast = guest.locator("#files-toast")
    expect(toast).to_be_hidden()

    host.locator("#files-input").set_input_files(
        [
            {"name": "見積書.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " * 200},
            {
                "name": "地図.png",
                "mimeType": "image/png",
                "buffer": b"\x89PNG\r\n\x1a\n" + bytes(99),
            },
        ]
    )

    # Both counted, where a phone guest sees it without scrolling.
    expect(toast).to_have_text("担当者からファイルが届いています（2\u00a0件）。見る")
    expect(toast).to_be_in_viewport()
    # The host's list keeps a size whole ("1.8 KB", never "1.8 / KB").
    expect(host.locator("#files-list li", has_text="見積書.pdf")).to_contain_text("1.8\u00a0KB")
    toast.get_by_role("button", name="見る").tap()
    expect(toast).to_be_hidden()
    section = guest.locator("#files-section")
    expect(section.get_by_role("heading", name="ファイル")).to_be_in_viewport()
    with guest.expect_download():
        section.get_by_role("button", name="保存: 見積書.pdf").tap()
    expect(section.locator("li", has_text="見積書.pdf")).to_contain_text("✓ 保存しました")
    expect(section.locator("li", has_text="地図.png")).not_to_contain_text("保存しました")

    # Seen files are not told again when a reload replays their events; a
    # new one is.
    guest.reload()
    expect(section.locator("li", has_text="地図.png")).to_be_visible()
    expect(toast).to_be_hidden()
    guest.evaluate("window.scrollTo(0, 0)")
    host.locator("#files-input").set_input_files(
        [{"name": "追加資料.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " * 50}]
    )
    expect(toast).to_contain_text("追加資料.pdf")
