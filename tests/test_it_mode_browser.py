"""IT重説 mode in real browsers (issue #14 part 5, seed 000): the host
registers a licence photo under Account, an admin defines a checklist, and
in a meeting in IT重説 mode the phone guest (390x844) sees the host's name
and licence photo and the checklist ticked item by item; the host
collapses it (「とじる」), turns the mode off (the guest's page drops the
licence) and on, ends, and the record shows the ticked checklist."""

from __future__ import annotations

import base64
import io
import os
import re
import uuid
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.conftest import console_host, type_number

pytestmark = pytest.mark.browser
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Set to a folder to keep a picture of each state (for looking at the pages).
SHOTS = os.environ.get("TSUNAGU_SHOTS")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def licence_png(colour: str, size: tuple[int, int] = (480, 300)) -> bytes:
    """A card-like picture: a coloured frame with a photo box and lines."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, size[0] - 5, size[1] - 5), outline=colour, width=8)
    draw.rectangle((24, 40, 150, 200), fill=colour)
    for y in range(50, 200, 30):
        draw.line((180, y, size[0] - 30, y), fill="#52606d", width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def register_licence(host, server) -> None:
    """Under Account: a photo chosen with the file picker and saved, then
    replaced by one dropped on the box."""
    host.goto(server.url + "/account")
    host.locator("#licence-file").set_input_files(
        {"name": "licence.png", "mimeType": "image/png", "buffer": licence_png("#0b6e4f")}
    )
    expect(host.locator("#licence-status")).to_contain_text("licence.png")
    host.get_by_role("button", name="保存", exact=True).first.click()
    expect(host.locator("#licence-status")).to_have_text("保存しました。")
    expect(host.locator("#licence-preview")).to_have_attribute("data-present", "true")
    # Replaced by drag and drop.
    dropped = host.evaluate_handle(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "card.png", { type: "image/png" }));
            return transfer;
        }""",
        base64.b64encode(licence_png("#b42318")).decode(),
    )
    host.dispatch_event("#licence-drop", "drop", {"dataTransfer": dropped})
    expect(host.locator("#licence-status")).to_contain_text("card.png")
    host.locator("#licence-save").click()
    expect(host.locator("#licence-status")).to_have_text("保存しました。")
    expect(host.locator("#licence-image")).to_have_js_property("complete", True)
    assert host.locator("#licence-image").evaluate("(image) => image.naturalWidth") == 480
    shot(host, "account-licence")


def add_checklist(host, server, title: str) -> None:
    host.goto(server.url + "/admin/checklists")
    host.get_by_label("タイトル").fill(title)
    host.get_by_label("項目（1 行に 1 項目）").fill(
        "本人確認書類を確認した\n重要事項説明書が手元にある\n映像と音声が届いている"
    )
    host.get_by_role("button", name="追加").click()
    expect(host.get_by_role("cell", name=title, exact=True)).to_be_visible()
    # The form is empty again for the next one.
    expect(host.get_by_label("項目（1 行に 1 項目）")).to_have_value("")
    shot(host, "admin-checklists")


def set_it_mode(host, meeting_id: int, on: bool) -> None:
    """Through the options API (PATCH /api/v1/meetings/{id}/options)."""
    status = host.evaluate(
        """async ([id, on]) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch(`/api/v1/meetings/${id}/options`, {
                method: "PATCH",
                headers: { "content-type": "application/json", "x-csrf-token": csrf },
                body: JSON.stringify({ it_mode: on }),
            });
            return response.status;
        }""",
        [meeting_id, on],
    )
    assert status == 200


def test_the_phone_guest_sees_the_licence_and_the_checklist_ticked_by_the_host(
    new_page, live_server
):
    title = f"重説前の確認 {uuid.uuid4().hex[:6]}"
    host = console_host(new_page, live_server)
    register_licence(host, live_server)
    add_checklist(host, live_server, title)

    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    guest.get_by_role("checkbox").check()
    guest.get_by_role("button", name="接続番号を発行する").click()
    number = guest.locator("#number")
    expect(number).to_have_text(re.compile(r"^\d{4}$"))
    host.goto(live_server.url + "/")
    type_number(host, number.inner_text())
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_id = int(host.url.rsplit("/", 1)[1])
    expect(guest.get_by_role("heading", name="担当者とつながりました")).to_be_visible()
    # Not in IT重説 mode yet: nothing of it on the guest's page.
    expect(guest.locator("#it-guest")).to_be_hidden()
    expect(host.locator("#elapsed")).not_to_have_text("—")  # the page's script runs

    set_it_mode(host, meeting_id, True)

    it_view = guest.locator("#it-guest")
    expect(it_view).to_be_visible()
    expect(guest.locator("#it-host")).to_have_text("担当: Admin")
    licence = guest.get_by_role("img", name="担当 Admin の宅地建物取引士証")
    expect(licence).to_be_visible()
    expect(licence).to_have_js_property("complete", True)
    assert licence.evaluate("(image) => image.naturalWidth") == 480
    shot(guest, "guest-licence")

    # The host opens the checklist from the rail and ticks two items.
    host.locator("#tool-checklist").click()
    panel = host.locator("#panel-checklist")
    expect(panel.get_by_label("IT重説モード")).to_be_checked()
    expect(panel.locator("#it-licence-yes")).to_be_visible()
    panel.get_by_label("チェックリスト").select_option(label=title)
    panel.get_by_role("button", name="表示する").click()
    expect(panel.locator("#checklist-title")).to_have_text(title)
    guest_list = guest.locator("#it-checklist")
    expect(guest_list.locator("#it-checklist-title")).to_have_text(title)
    expect(guest_list.locator("#it-checklist-progress")).to_have_text("0/3 完了")
    panel.get_by_label("1. 本人確認書類を確認した").check()
    expect(panel.locator("#checklist-progress")).to_have_text("1/3 完了")
    panel.get_by_label("2. 重要事項説明書が手元にある").check()
    expect(panel.locator("#checklist-progress")).to_have_text("2/3 完了")
    shot(host, "host-checklist")

    expect(guest_list.locator("#it-checklist-progress")).to_have_text("2/3 完了")
    items = guest_list.locator("li")
    expect(items.nth(0)).to_have_attribute("data-ticked", "true")
    expect(items.nth(1)).to_have_attribute("data-ticked", "true")
    expect(items.nth(2)).to_have_attribute("data-ticked", "false")
    expect(items.nth(0)).to_contain_text("チェック済み")
    expect(items.nth(2)).to_contain_text("未チェック")
    shot(guest, "guest-checklist")

    # 「とじる」: the list shrinks to its title on both sides; opened again.
    panel.get_by_role("button", name="とじる").click()
    expect(panel.locator("#checklist-items")).to_be_hidden()
    expect(guest_list.locator("#it-checklist-items")).to_be_hidden()
    expect(guest_list.locator("#it-checklist-progress")).to_have_text("2/3 完了")
    shot(guest, "guest-checklist-collapsed")
    panel.get_by_role("button", name="ひらく").click()
    expect(guest_list.locator("#it-checklist-items")).to_be_visible()

    # The mode off (the panel's switch): the guest's page drops the licence.
    panel.get_by_label("IT重説モード").uncheck()
    expect(it_view).to_be_hidden()
    expect(guest.locator("#it-licence-image")).not_to_have_attribute("src", re.compile("."))
    expect(panel.locator("#it-mode-off")).to_be_visible()
    shot(guest, "guest-mode-off")
    shot(host, "host-mode-off")
    panel.get_by_label("IT重説モード").check()
    expect(licence).to_be_visible()
    expect(guest_list.locator("#it-checklist-progress")).to_have_text("2/3 完了")

    with host.expect_navigation():  # the live view becomes the meeting's record
        host.get_by_role("button", name="ミーティングを終了").click()

    record = host.locator("#record-checklists")
    expect(record.get_by_role("heading", name=re.compile(title))).to_be_visible()
    expect(record).to_contain_text("2/3 項目チェック済み")
    rows = record.locator("li")
    expect(rows.nth(0)).to_have_attribute("data-ticked", "true")
    expect(rows.nth(0).locator("time")).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("Admin")
    expect(rows.nth(2)).to_contain_text("未チェック")
    expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
    expect(it_view).to_be_hidden()
    shot(host, "record-checklists")

    # The host deletes the photo under Account: it is gone from the page.
    host.goto(live_server.url + "/account")
    expect(host.locator("#licence-image")).to_be_visible()
    host.get_by_role("button", name="削除", exact=True).click()
    expect(host.locator("#licence-status")).to_have_text("削除しました。")
    expect(host.locator("#licence-image")).to_be_hidden()
    expect(host.locator("#licence-caption")).to_have_text("まだ登録されていません。")
    host.reload()
    expect(host.locator("#licence-image")).to_be_hidden()
