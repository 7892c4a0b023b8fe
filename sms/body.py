"""What the SMS says, and what it costs.

The body is short and Japanese: who is writing, what the link is for, how
long it works. Carriers bill per segment, so the console shows the count:
a body that fits the GSM 7-bit alphabet has 160 characters in one segment
(153 per part when split); anything else, Japanese included, is sent as
UCS-2 with 70 (67 per part).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_SENDER = "つなぐ"

# The GSM 03.38 default alphabet, and the extension table whose characters
# take two septets (an escape and the character).
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


def compose(sender: str, link: str, minutes: int) -> str:
    """``【会社名】お電話中のビデオ通話のリンクです（30分有効）`` and the link."""
    name = sender.strip() or DEFAULT_SENDER
    return f"【{name}】お電話中の通話に参加するリンクです（{minutes}分有効）\n{link}"


def compose_until(sender: str, link: str, until: datetime) -> str:
    """A prepared meeting's link, valid for days: until which day it works."""
    name = sender.strip() or DEFAULT_SENDER
    valid = f"{until.month}月{until.day}日まで有効"
    return f"【{name}】ビデオ通話に参加するリンクです（{valid}）\n{link}"


def zone(countries: tuple[str, ...]) -> tzinfo:
    """Where the SMS is read, for the day it names: Japan's time for JP
    (the default), else UTC."""
    return ZoneInfo("Asia/Tokyo") if countries[:1] == ("JP",) else UTC


def segments(body: str) -> int:
    """How many SMS segments ``body`` is billed as."""
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in body):
        septets = sum(2 if ch in GSM_EXTENDED else 1 for ch in body)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
    units = len(body.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)
