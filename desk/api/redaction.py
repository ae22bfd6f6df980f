"""Keep URL-borne secrets out of access logs (the Telegram webhook path carries one)."""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(r"(/telegram/webhook/)[^/?#\s\"]+")
REDACTED = r"\1[redacted]"
ACCESS_LOGGERS = ("uvicorn.access",)


class SecretPathFilter(logging.Filter):
    """Rewrites ``/telegram/webhook/<secret>/`` in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = SECRET_IN_PATH.sub(REDACTED, record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                SECRET_IN_PATH.sub(REDACTED, a) if isinstance(a, str) else a for a in record.args
            )
        return True


def install_access_log_redaction() -> None:
    """Idempotent: one filter per access logger, whatever the number of apps."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretPathFilter) for f in logger.filters):
            logger.addFilter(SecretPathFilter())
