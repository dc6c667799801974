"""Errors the sandbox answers with, in Pleo's ``ExceptionInfo`` shape ``{"type", "message"}``."""

from __future__ import annotations

__all__ = ["ApiError", "bad_request"]


class ApiError(Exception):
    """An error response: HTTP status, ``ExceptionInfo.type`` and ``message``."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {error_type}: {message}")
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers or {}


def bad_request(message: str) -> ApiError:
    """A 400 ``BAD_REQUEST`` (S-ERR's ``bad_request``, upper case like the spec's examples)."""
    return ApiError(400, "BAD_REQUEST", message)
