"""Process logging: structlog over the standard library, one line per event, secrets masked.

Every record, the proxy's own (structlog) and the libraries' (uvicorn, httpx: standard
``logging``), goes through one :class:`structlog.stdlib.ProcessorFormatter` on stdout:

* ``json``: one JSON object per line (orjson), for log shippers; the default when stdout is
  not a terminal (containers, files, pipes);
* ``console``: structlog's aligned, human-readable lines; the default on a terminal.

Keys: ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``event`` (the message), and
whatever the call or the request context bound (``request_id``, ``company``, ...).
:func:`redact_secrets` runs last before rendering, so no credential reaches the stream
whoever wrote it. httpx logs every request URL at INFO on logger ``httpx``; the proxy's URLs
carry no secret, but that logger (and httpcore's) is raised to WARNING anyway so a future query
parameter cannot leak.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, Literal, TextIO

import orjson
import structlog

__all__ = ["LogFormat", "configure_logging", "redact_secrets"]

LogFormat = Literal["auto", "json", "console"]

_MASK = "[redacted]"
_HEADLINE = ("timestamp", "level", "logger", "event")
# Anything shaped like a credential is masked, whatever logger wrote it.
_SECRET = re.compile(
    r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?(?:(?:bearer|basic)\s+)?|bearer\s+|basic\s+|whsec_)"
    r"[A-Za-z0-9+/=._~-]+"
)
# Keys whose whole value is a secret, in any spelling: Authorization, api_key, apiKey,
# bearer_token, webhook-secret, password ...
_SECRET_KEY = re.compile(r"(?i)authorization|api[_-]?key|token|secret|password")
# What a credential-shaped match becomes: its prefix (``Bearer ``, ``whsec_``) kept.
_MASKED = r"\g<1>" + _MASK


# Scalars that can hold no text: most of an access line (status, duration, flags).
_NO_TEXT = (int, float, bool, type(None))


def _mask(value: Any) -> Any:
    if isinstance(value, _NO_TEXT):
        return value
    if isinstance(value, str):
        return _SECRET.sub(_MASKED, value)
    if isinstance(value, dict):
        return {k: _MASK if _secret_key(k) else _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(v) for v in value]
    return value


@functools.lru_cache(maxsize=1024)
def _secret_key_name(key: str) -> bool:
    # Keys are a small set (the code's field names, the libraries' extras): a regex search per
    # key per line was a tenth of each access line's cost.
    return _SECRET_KEY.search(key) is not None


def _secret_key(key: object) -> bool:
    return isinstance(key, str) and _secret_key_name(key)


def redact_secrets(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: mask credential-shaped text in every value (nested too), and the
    whole value of every key named like a credential."""
    for key, value in event_dict.items():
        if _secret_key(key):
            event_dict[key] = _MASK
        elif not isinstance(value, _NO_TEXT):
            event_dict[key] = _mask(value)
    return event_dict


def _drop_color_message(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # uvicorn passes an ANSI-coloured copy of its message as an ``extra``; the message is enough.
    event_dict.pop("color_message", None)
    return event_dict


def _headline_first(
    _logger: object, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # The same four keys open every JSON line, so a person can read a raw stream.
    head = {k: event_dict.pop(k) for k in _HEADLINE if k in event_dict}
    return {**head, **event_dict}


def _orjson_text(value: Any, **kwargs: Any) -> str:
    # The formatter hands a str to the stream; orjson writes bytes.
    return orjson.dumps(value, default=kwargs.get("default")).decode()


def _pre_chain() -> list[structlog.typing.Processor]:
    """What every record gets before formatting, structlog's or a library's."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _renderer(log_format: LogFormat, stream: TextIO) -> structlog.typing.Processor:
    if log_format == "auto":
        log_format = "console" if stream.isatty() else "json"
    if log_format == "console":
        # The traceback is already text (format_exc_info, then redacted): print it as it is.
        return structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    json_renderer = structlog.processors.JSONRenderer(serializer=_orjson_text)

    def render(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> str:
        return str(json_renderer(logger, method, _headline_first(logger, method, event_dict)))

    return render


def configure_logging(
    level: str = "INFO", *, log_format: LogFormat = "auto", stream: TextIO | None = None
) -> None:
    """Route every logger of the process to one handler on ``stream`` (default: stdout).

    Idempotent: a second call replaces the first set-up (the CLI calls it once, tests may
    call it with their own stream).
    """
    stream = stream if stream is not None else sys.stdout
    pre_chain = _pre_chain()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *pre_chain,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: tests swap the configuration (capture_logs) after loggers exist.
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=pre_chain,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_secrets,
            _renderer(log_format, stream),
        ],
    )
    # No output shows the caller's file and line, thread or process: skip gathering them for
    # each record (the stdlib's documented optimisations; findCaller walks the stack).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # uvicorn's own loggers propagate to the root handler above; its access log stays off
    # (the proxy writes its own, with route templates and request ids).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
