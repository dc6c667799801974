"""Process logging: one line per record on stderr, secrets never written.

httpx logs every request URL at INFO on logger ``httpx``; the proxy's URLs carry no secret,
but that logger is raised to WARNING anyway so a future query parameter cannot leak.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "configure_logging"]

# Anything shaped like a credential is masked, whatever logger wrote it.
_SECRET = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic)\s+)?|bearer\s+|basic\s+|whsec_)"
    r"[A-Za-z0-9+/=._~-]+"
)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET.sub(lambda m: m.group(1) + "[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
