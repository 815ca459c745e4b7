"""How agora is served: uvicorn's limits and timeouts, the file-descriptor limit, and log redaction.

`agora serve` (agora.cli) takes its uvicorn options from `uvicorn_options`; the test server fixture
and `make soak` use the same numbers. Each limit is listed with its attack in docs/security.md.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# --- log redaction ------------------------------------------------------------------------------

SECRET_PARAMS = ("receipt", "code", "invite", "token", "password", "key", "idempotency_key")
_SECRET_QUERY = re.compile(r"(?i)([?&#](?:" + "|".join(SECRET_PARAMS) + r")=)[^&#\s\"']*")


def redact(text: str) -> str:
    """`?receipt=ABC&x=1` → `?receipt=[redacted]&x=1`: codes never reach a log line."""
    return _SECRET_QUERY.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments (uvicorn's access log passes the path with its
    query as an argument) so no receipt, invite code or token is written by any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn", "agora")


def install_log_redaction() -> None:
    """Attach the filter to uvicorn's and agora's loggers (once; safe to call again)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with the redaction filter on its handlers too
    (a filter on a logger does not see records propagated from its children)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {**LOGGING_CONFIG}
    config["filters"] = {"redact": {"()": "agora.web.serving.RedactSecrets"}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]} for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config
