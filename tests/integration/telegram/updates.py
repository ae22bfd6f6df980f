"""Update JSON as Telegram sends it to a webhook (commands carry a bot_command entity)."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(500_000_001)
_messages = itertools.count(10_000)
DATE = 1_764_043_200  # 2026-11-25 04:00 UTC


def next_update_id() -> int:
    return next(_ids)


def person(user_id: int, name: str = "Asha") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


def message(
    chat_id: int,
    text: str,
    *,
    from_id: int | None = None,
    chat_type: str = "private",
    reply_to: dict[str, Any] | None = None,
    update_id: int | None = None,
) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": next(_messages),
        "date": DATE,
        "from": person(from_id if from_id is not None else chat_id),
        "chat": {"id": chat_id, "type": chat_type}
        | ({"first_name": "Asha"} if chat_type == "private" else {"title": "Desk group"}),
        "text": text,
    }
    if text.startswith("/"):
        length = len(text.split()[0].encode("utf-16-le")) // 2
        msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return {"update_id": update_id or next_update_id(), "message": msg}


def callback(
    from_id: int,
    data: str,
    *,
    chat_id: int | None = None,
    message_id: int = 1,
    text: str = "Approval needed",
) -> dict[str, Any]:
    chat = chat_id if chat_id is not None else from_id
    return {
        "update_id": next_update_id(),
        "callback_query": {
            "id": f"cbq-{next_update_id()}",
            "chat_instance": "-1234567890",
            "from": person(from_id),
            "message": {
                "message_id": message_id,
                "date": DATE,
                "chat": {"id": chat, "type": "private"},
                "from": {"id": 999000, "is_bot": True, "first_name": "Desk"},
                "text": text,
            },
            "data": data,
        },
    }
