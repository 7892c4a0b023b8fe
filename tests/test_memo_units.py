"""Unit tests of the memo's browser side (``embed/memo.js``), in Chromium:
the smallest edit, where a caret goes after the other side's change, and
two textareas bound to one memo through a relay that stands in for the
server, with an IME composition under way on one side."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.test_js_units import (
    connected_guest,
    on_last_socket,
    unit_page,  # noqa: F401 (a fixture)
    widget,
)

pytestmark = pytest.mark.browser

# Two <textarea>s, each bound to its own Memo; a relay passes every message
# the way the server does (memo.sync answered from a third document, updates
# applied there and relayed to the other side).
TWO_SIDES = """async () => {
  const Y = await import("/embed/vendor/yjs.mjs");
  const { Memo, toBase64, fromBase64 } = await import("/embed/memo.js");
  const server = new Y.Doc();
  const sides = {};
  const relay = (from, message) => {
    if (message.type === "memo.sync") {
      const sv = message.sv ? fromBase64(message.sv) : new Uint8Array([0]);
      const update = toBase64(Y.encodeStateAsUpdate(server, sv));
      const answer = { type: "memo.state", update, sv: toBase64(Y.encodeStateVector(server)),
                       saved_sv: "AA==", shared: true, writable: true };
      setTimeout(() => sides[from].receive(answer), 0);
    } else if (message.type === "memo.update") {
      Y.applyUpdate(server, fromBase64(message.update));
      const to = from === "a" ? "b" : "a";
      setTimeout(() => sides[to].receive({ type: "memo.update", update: message.update }), 0);
    }
    return true;
  };
  for (const name of ["a", "b"]) {
    const textarea = document.createElement("textarea");
    textarea.id = name;
    document.body.append(textarea);
    sides[name] = new Memo({ textarea, send: (message) => relay(name, message) });
    sides[name].connected();
  }
  window.sides = sides;
}"""


@pytest.fixture
def page(unit_page):  # noqa: F811 (the imported fixture)
    opened = unit_page("harness.html")
    opened.wait_for_function("() => window.units")
    return opened


def memo(page, script: str):
    return page.evaluate(
        f"""async () => {{ const m = await import("/embed/memo.js"); return {script}; }}"""
    )


def test_the_smallest_edit_keeps_a_common_prefix_and_suffix_and_whole_characters(page):
    assert memo(page, 'm.diff("abc", "abXc")') == {"index": 2, "remove": 0, "insert": "X"}
    assert memo(page, 'm.diff("abcd", "ad")') == {"index": 1, "remove": 2, "insert": ""}
    assert memo(page, 'm.diff("", "議事録")') == {"index": 0, "remove": 0, "insert": "議事録"}
    # 🙂 and 🙃 share their first UTF-16 unit: the edit replaces the whole pair.
    assert memo(page, 'm.diff("a🙂b", "a🙃b")') == {"index": 1, "remove": 2, "insert": "🙃"}
    # Typing "a" before "aa": the shared run is kept; any one of the three is new.
    assert memo(page, 'm.diff("aa", "aaa")') == {"index": 2, "remove": 0, "insert": "a"}


def test_a_caret_moves_past_the_other_sides_change_and_not_past_text_at_it(page):
    # Text inserted before the caret pushes it on; at the caret, it stays.
    assert memo(page, "m.transform(5, [{ retain: 2 }, { insert: 'xyz' }])") == 8
    assert memo(page, "m.transform(2, [{ retain: 2 }, { insert: 'xyz' }])") == 2
    assert memo(page, "m.transform(2, [{ retain: 4 }, { insert: 'xyz' }])") == 2
    # A deletion before it pulls it back; one around it puts it where it was.
    assert memo(page, "m.transform(6, [{ retain: 1 }, { delete: 3 }])") == 3
    assert memo(page, "m.transform(3, [{ retain: 1 }, { delete: 5 }])") == 1


def test_two_textareas_converge_and_the_caret_stays_where_the_person_was_typing(page):
    page.evaluate(TWO_SIDES)
    a, b = page.locator("#a"), page.locator("#b")
    expect(a).to_be_editable()
    expect(b).to_be_editable()
    a.fill("hello world")
    expect(b).to_have_value("hello world")
    # B's caret after "hello"; A types at the start: B's caret moves with its word.
    b.focus()
    page.evaluate("document.getElementById('b').setSelectionRange(5, 5)")
    a.press("Home")
    a.type(">> ")
    expect(b).to_have_value(">> hello world")
    assert page.evaluate("document.getElementById('b').selectionStart") == 8
    b.type(",")
    expect(a).to_have_value(">> hello, world")


def test_a_change_from_the_other_side_waits_for_the_end_of_an_ime_composition(page):
    page.evaluate(TWO_SIDES)
    a, b = page.locator("#a"), page.locator("#b")
    expect(b).to_be_editable()
    a.fill("本日の議題")
    expect(b).to_have_value("本日の議題")
    # B starts composing at the end (what an IME shows before the choice).
    page.evaluate("""() => {
        const b = document.getElementById("b");
        b.focus();
        b.setSelectionRange(b.value.length, b.value.length);
        b.dispatchEvent(new CompositionEvent("compositionstart"));
        b.value += "みつもり";
        b.dispatchEvent(new InputEvent("input", { isComposing: true }));
    }""")
    # Meanwhile A types at the start: B's field is left alone while composing.
    a.press("Home")
    a.type("1. ")
    expect(a).to_have_value("1. 本日の議題")
    page.wait_for_function("() => sides.b.value() === '1. 本日の議題'")
    assert b.input_value() == "本日の議題みつもり"
    # The choice is made: the composed text lands where B was, after A's change.
    page.evaluate("""() => {
        const b = document.getElementById("b");
        b.value = "本日の議題見積もり";
        b.dispatchEvent(new CompositionEvent("compositionend", { data: "見積もり" }));
    }""")
    expect(b).to_have_value("1. 本日の議題見積もり")
    expect(a).to_have_value("1. 本日の議題見積もり")
    caret = page.evaluate("document.getElementById('b').selectionStart")
    assert caret == len("1. 本日の議題見積もり")


def test_the_widgets_memo_button_follows_the_hosts_choice_and_loads_nothing_before(unit_page):  # noqa: F811
    page = connected_guest(unit_page)
    bar = widget(page).get_by_role("group")
    on_last_socket(page, "socket.receive({ type: 'memo.access', meeting_id: 1, shared: false });")
    expect(bar.get_by_role("button", name="Open the shared memo")).to_have_count(0)
    on_last_socket(page, "socket.receive({ type: 'memo.access', meeting_id: 1, shared: true });")
    expect(bar.get_by_role("button", name="Open the shared memo")).to_be_visible()
    assert not [path for path in page.requested if "memo" in path or "yjs" in path]

    bar.get_by_role("button", name="Open the shared memo").click()

    # Yjs arrives with the memo, which syncs over the widget's socket.
    dialog = widget(page).get_by_role("dialog", name="Shared memo")
    expect(dialog).to_contain_text("Connecting…")
    assert "/embed/vendor/yjs.mjs" in page.requested
    sent = on_last_socket(page, "return socket.sent.map((message) => message.type);")
    assert sent[-1] == "memo.sync"
    # The host makes it host-only: the panel closes and the button goes.
    on_last_socket(page, "socket.receive({ type: 'memo.access', meeting_id: 1, shared: false });")
    expect(widget(page).get_by_role("dialog", name="Shared memo")).to_have_count(0)
    expect(bar.get_by_role("button", name="Open the shared memo")).to_have_count(0)
