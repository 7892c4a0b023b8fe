"""Document share in real browsers (issue #15): a host on a laptop and a
guest on a phone. A 30-page PDF uploaded during the meeting is shown at
once on both sides; page 17 is on the host's stage and the phone; the arrow
keys turn pages for both; the guest swipes away on their own, the host sees
it, and 「担当者のページに戻る」 brings the guest back; the guest downloads
it once allowed; closing it closes it for both. The documents page uploads
with its pages and refuses an encrypted PDF with a message."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import console_host, type_number
from tests.document_samples import broken_pdf, encrypted_pdf, numbered_pdf
from tests.test_meeting_browser import PHONE, get_number

pytestmark = pytest.mark.browser

# The numbered sample's background (document_samples.numbered_pdf): page n's red.
SHADE = "(img) => { const c = document.createElement('canvas'); c.width = c.height = 8;"
SHADE += " const x = c.getContext('2d'); x.drawImage(img, 0, 0, img.naturalWidth,"
SHADE += " img.naturalHeight, 0, 0, 400, 300); return x.getImageData(2, 2, 1, 1).data[0]; }"


def shade(page: int) -> int:
    return 255 - (page * 3) % 120


def expect_page(locator, page: int) -> None:
    """The image shows page ``page``: named so, loaded, and its pixels are
    that page's (not a stale picture under a new number)."""
    expect(locator).to_have_attribute("data-page", str(page))
    expect(locator).to_be_visible()
    locator.page.wait_for_function(
        "([img, page]) => img.complete && img.naturalWidth > 0 && img.dataset.page === page",
        arg=[locator.element_handle(), str(page)],
    )
    assert abs(locator.evaluate(SHADE) - shade(page)) <= 4


def connect(new_page, live_server):
    guest = new_page(**PHONE)
    guest.goto(live_server.url + "/join")
    host = console_host(new_page, live_server)
    type_number(host, get_number(guest))
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    expect(guest.locator("#connected")).to_be_visible()
    return guest, host


def upload_and_show(host, pdf) -> None:
    """Upload ``pdf`` from the room's 資料 panel, which then shows it: waits
    for the server's answers (page 1 is made before the upload's answer)."""
    with host.expect_response(
        lambda response: response.request.method == "PUT" and response.url.endswith("/document"),
        timeout=60_000,
    ) as shown:
        host.get_by_label("ここでアップロードしてすぐ表示").set_input_files(pdf)
    assert shown.value.ok, shown.value.text()


def test_a_pdf_uploaded_in_the_meeting_is_shown_page_by_page_on_both_sides(
    new_page, live_server, tmp_path
):
    guest, host = connect(new_page, live_server)
    pdf = tmp_path / "ご提案資料.pdf"
    pdf.write_bytes(numbered_pdf(30))

    host.get_by_role("button", name="資料", exact=True).click()
    upload_and_show(host, pdf)

    # Shown at once, on the stage and at the top of the phone's page.
    stage_page = host.locator("#document-page")
    phone_page = guest.locator("#document-guest-page")
    expect(host.locator("#stage")).to_have_attribute("data-layout", re.compile("^document"))
    expect(host.locator("#document-title")).to_have_text("ご提案資料")
    expect(guest.get_by_role("heading", name="ご提案資料")).to_be_visible()
    expect_page(stage_page, 1)
    expect_page(phone_page, 1)
    # The panel makes way: the page is presented large at 1280 px.
    expect(host.locator("#panel-documents")).to_be_hidden()
    assert host.locator("#document-frame").bounding_box()["width"] > 400

    # Page 17 from the strip.
    host.get_by_role("button", name="17 ページ", exact=True).click()
    expect(host.locator("#document-position")).to_have_text("17 / 30")
    expect_page(stage_page, 17)
    expect(guest.locator("#document-guest-position")).to_have_text("17 / 30")
    expect_page(phone_page, 17)

    # The arrow keys, with the focus on the page (not in a field).
    host.locator("#document-frame").focus()
    host.keyboard.press("ArrowRight")
    expect_page(stage_page, 18)
    expect_page(phone_page, 18)
    host.keyboard.press("ArrowLeft")
    expect_page(phone_page, 17)
    expect(host.locator("#document-following")).to_have_text("お客様も同じページを表示しています")

    # The guest swipes to the next page on their own.
    box = guest.locator("#document-guest-frame").bounding_box()
    y = box["y"] + box["height"] / 2
    guest.mouse.move(box["x"] + box["width"] - 20, y)
    guest.mouse.down()
    guest.mouse.move(box["x"] + 40, y, steps=5)
    guest.mouse.up()
    expect_page(phone_page, 18)
    expect(guest.get_by_text("担当者は 17 ページを表示中")).to_be_visible()
    expect(host.locator("#document-following")).to_have_text(
        "お客様は自分で 18 ページを表示しています"
    )
    expect_page(stage_page, 17)  # the host's page stays

    guest.get_by_role("button", name="担当者のページに戻る").click()
    expect_page(phone_page, 17)
    expect(guest.get_by_role("button", name="担当者のページに戻る")).to_be_hidden()
    expect(host.locator("#document-following")).to_have_text("お客様も同じページを表示しています")

    # Downloading, once allowed.
    download_button = guest.get_by_role("button", name="資料をダウンロード")
    expect(download_button).to_be_hidden()
    host.get_by_label("お客様にダウンロードを許可").check()
    with guest.expect_download() as downloading:
        download_button.click()
    assert downloading.value.suggested_filename == "ご提案資料.pdf"

    # The timeline: the page turns on one line.
    expect(host.locator("#timeline")).to_contain_text("資料「ご提案資料」を表示しました")
    expect(host.locator('#timeline [data-type="document.page"]').first).to_contain_text(
        "資料のページ: 17 → 18 → 17"
    )

    host.get_by_role("button", name="資料を閉じる").click()
    expect(guest.locator("#document-view")).to_be_hidden()
    expect(host.locator("#document-main")).to_be_hidden()


def test_the_documents_page_uploads_and_refuses_encrypted_and_broken_pdfs(
    new_page, live_server, tmp_path
):
    host = console_host(new_page, live_server)
    host.get_by_role("link", name="資料", exact=True).click()
    expect(host.get_by_role("heading", name="資料", exact=True)).to_be_visible()
    expect(host.get_by_text("PDF か画像（PNG・JPEG）")).to_be_visible()

    locked = tmp_path / "locked.pdf"
    locked.write_bytes(encrypted_pdf())
    host.get_by_label("ファイル（PDF・PNG・JPEG）").set_input_files(locked)
    host.get_by_role("button", name="資料をアップロード").click()
    expect(host.locator("#document-upload-state")).to_have_text(
        "パスワードで保護された PDF は表示できません。"
        "パスワードを外した PDF をアップロードしてください。"
    )
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(broken_pdf())
    host.get_by_label("ファイル（PDF・PNG・JPEG）").set_input_files(cut)
    host.get_by_role("button", name="資料をアップロード").click()
    expect(host.locator("#document-upload-state")).to_contain_text("ファイルが壊れているか")

    catalogue = tmp_path / "会社案内.pdf"
    catalogue.write_bytes(numbered_pdf(12))
    host.get_by_label("ファイル（PDF・PNG・JPEG）").set_input_files(catalogue)
    host.get_by_role("button", name="資料をアップロード").click()
    expect(host.locator("#document-upload-state")).to_have_text(
        "「会社案内」をアップロードしました。"
    )
    row = host.locator("#documents tr", has_text="会社案内")
    expect(row).to_contain_text("12 ページ")
    expect(row).to_contain_text("利用できます")
    thumbnail = row.get_by_role("img", name="「会社案内」の 1 ページ目")
    host.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )


def within(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 1
        and inner["y"] >= outer["y"] - 1
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 1
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1
    )


# The part of the image the page is drawn in (object-fit: contain).
DRAWN = "(img) => { const r = img.getBoundingClientRect(); const s = Math.min(r.width /"
DRAWN += " img.naturalWidth, r.height / img.naturalHeight); const w = img.naturalWidth * s;"
DRAWN += " const h = img.naturalHeight * s; return {x: r.x + (r.width - w) / 2,"
DRAWN += " y: r.y + (r.height - h) / 2, width: w, height: h}; }"


def test_a_portrait_page_is_whole_on_both_sides_and_survives_reloads(
    new_page, live_server, tmp_path
):
    guest, host = connect(new_page, live_server)
    pdf = tmp_path / "縦長.pdf"
    pdf.write_bytes(numbered_pdf(5, size=(768, 1086)))  # A4 upright
    # The guest has scrolled down the page before the document comes.
    guest.evaluate("window.scrollTo(0, document.body.scrollHeight)")

    host.get_by_role("button", name="資料", exact=True).click()
    upload_and_show(host, pdf)
    stage_page = host.locator("#document-page")
    phone_page = guest.locator("#document-guest-page")
    expect_page(stage_page, 1)
    expect_page(phone_page, 1)
    # Brought into sight and said so.
    expect(guest.locator("#document-guest-status")).to_have_text("担当者が資料を表示しました")
    expect(guest.get_by_role("heading", name="縦長")).to_be_in_viewport()

    host.get_by_role("button", name="3 ページ", exact=True).click()
    expect_page(phone_page, 3)
    for page, frame in [(host, "#document-frame"), (guest, "#document-guest-frame")]:
        image = page.locator("#document-page" if page is host else "#document-guest-page")
        drawn = image.evaluate(DRAWN)
        box = page.locator(frame).bounding_box()
        assert within(drawn, box), (drawn, box)
        assert drawn["height"] > drawn["width"]  # upright, not squeezed
    # The phone's frame leaves room for the pager under it.
    assert guest.locator("#document-guest-frame").bounding_box()["height"] <= 844 * 0.7 + 1

    # A reload on either side comes back on the host's page.
    guest.reload()
    expect(guest.locator("#connected")).to_be_visible()
    expect(guest.locator("#document-guest-position")).to_have_text("3 / 5")
    expect_page(phone_page, 3)
    host.reload()
    expect(host.locator("#document-position")).to_have_text("3 / 5")
    expect_page(stage_page, 3)
    host.locator("#document-frame").focus()
    host.keyboard.press("ArrowRight")
    expect_page(phone_page, 4)
