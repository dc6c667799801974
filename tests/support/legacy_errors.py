"""What every legacy error answer looks like, checked in one place."""

from __future__ import annotations

from http import HTTPStatus

import httpx

__all__ = ["assert_legacy_error"]


def assert_legacy_error(response: httpx.Response, status: int, mentions: str = "") -> str:
    """``response`` is ``status`` with Pleo's legacy error body; return its message.

    The body is ``{"statusCode", "error", "message"}`` (in that order) plus the proxy's
    ``requestId``, served as ``application/json; charset=utf-8``; ``mentions`` must appear in
    the message (case-insensitive).
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body)[:3] == ["statusCode", "error", "message"], body
    assert set(body) <= {"statusCode", "error", "message", "requestId"}, body
    assert body["statusCode"] == status
    assert body["error"] == HTTPStatus(status).phrase
    message: str = body["message"]
    assert mentions.lower() in message.lower(), message
    return message
