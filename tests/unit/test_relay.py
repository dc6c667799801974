"""The loopback TCP relay of the end-to-end tests: it relays HTTP/1.1 faithfully and misbehaves
exactly as told (tests/support/relay.py)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.support.relay import HOST, Relay, Rule

pytestmark = pytest.mark.timeout(60)


class _Upstream(ThreadingHTTPServer):
    daemon_threads = True
    seen: list[tuple[str, str, bytes]]
    slow: threading.Event


class _Handler(BaseHTTPRequestHandler):
    """Echoes each request as JSON; /chunked answers chunked, /eof answers up to the close."""

    protocol_version = "HTTP/1.1"
    server: _Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            parts = []
            while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b""):
                pass
            return b"".join(parts)
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _answer(self) -> None:
        body = self._body()
        if self.path == "/slow":
            self.server.slow.wait(timeout=20)
        self.server.seen.append((self.command, self.path, body))
        echo = json.dumps({"method": self.command, "path": self.path, "body": body.decode()})
        payload = echo.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (payload[:5], payload[5:]):
                self.wfile.write(f"{len(piece):x};ext=1\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        elif self.path == "/eof":
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

    do_GET = do_PUT = do_POST = do_HEAD = _answer


@pytest.fixture
def upstream() -> Iterator[_Upstream]:
    server = _Upstream((HOST, 0), _Handler)
    server.seen = []
    server.slow = threading.Event()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def relay(upstream: _Upstream) -> Iterator[Relay]:
    with Relay.running(f"http://{HOST}:{upstream.server_address[1]}") as relay:
        yield relay


@pytest.fixture
def client(relay: Relay) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=relay.url, timeout=20) as client:
        yield client


def _in_thread(call: Any) -> tuple[threading.Thread, dict[str, Any]]:
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["response"] = call()
        except httpx.HTTPError as exc:
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def _raw_request(relay: Relay, request: bytes) -> socket.socket:
    sock = socket.create_connection((HOST, relay.port), timeout=20)
    sock.sendall(request)
    return sock


def test_requests_and_answers_pass_unchanged_over_one_keep_alive_connection(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """Without rules, each request reaches upstream once and its answer comes back byte for
    byte, chunked bodies both ways included, on one kept-alive connection."""

    def chunks() -> Iterator[bytes]:
        yield b'{"a":'
        yield b"1}"

    first = client.put("/items?x=1", content=b'{"id":1}')
    second = client.post("/events", content=chunks())
    third = client.get("/chunked")
    head = client.head("/anything")

    assert first.json() == {"method": "PUT", "path": "/items?x=1", "body": '{"id":1}'}
    assert second.json()["body"] == '{"a":1}'
    assert third.json() == {"method": "GET", "path": "/chunked", "body": ""}
    assert head.status_code == 200
    assert head.content == b""
    assert [(m, p) for m, p, _ in upstream.seen] == [
        ("PUT", "/items?x=1"),
        ("POST", "/events"),
        ("GET", "/chunked"),
        ("HEAD", "/anything"),
    ]
    exchanges = relay.exchanges()
    assert {e.connection for e in exchanges} == {exchanges[0].connection}
    assert [e.outcome for e in exchanges] == ["answered"] * 4
    assert exchanges[0].body == b'{"id":1}'
    assert exchanges[2].body == b""
    assert exchanges[0].status == 200
    assert exchanges[0].forwarded_at is not None


def test_an_answer_up_to_the_end_of_the_connection_is_relayed_whole(
    relay: Relay, client: httpx.Client
) -> None:
    """An answer without a length ends with the connection, and the relay passes all of it."""
    assert client.get("/eof").json()["path"] == "/eof"
    assert client.get("/after").json()["path"] == "/after"


def test_a_lost_answer_was_applied_upstream_but_never_reaches_the_caller(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """lose_answer forwards the write and drops the connection instead of answering; the
    rule is used up and the next call passes."""
    relay.lose_answer("PUT", r"^/items")

    with pytest.raises(httpx.RemoteProtocolError):
        client.put("/items", content=b"[1]")
    assert client.put("/items", content=b"[2]").status_code == 200

    assert upstream.seen == [("PUT", "/items", b"[1]"), ("PUT", "/items", b"[2]")]
    assert [e.outcome for e in relay.exchanges()] == ["answer lost", "answered"]


def test_a_held_answer_comes_once_released(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """hold_answer lets the request through and keeps the answer until release()."""
    rule = relay.hold_answer("POST", "^/events$")
    thread, result = _in_thread(lambda: client.post("/events", content=b"started"))

    rule.wait_held()
    assert upstream.seen == [("POST", "/events", b"started")]
    assert thread.is_alive(), "the answer went out while held"
    rule.release()
    thread.join()

    assert result["response"].json()["body"] == "started"


def test_a_held_request_reaches_upstream_only_once_released(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """hold_request keeps the request from upstream until release(); other requests on other
    connections pass meanwhile."""
    rule = relay.hold_request("PUT", "^/items/2$")
    thread, result = _in_thread(lambda: client.put("/items/2", content=b"second batch"))

    rule.wait_held()
    with httpx.Client(base_url=relay.url, timeout=20) as other:
        assert other.get("/meanwhile").status_code == 200
    assert upstream.seen == [("GET", "/meanwhile", b"")]
    rule.release()
    thread.join()

    assert result["response"].status_code == 200
    assert upstream.seen[-1] == ("PUT", "/items/2", b"second batch")


def test_a_held_request_whose_caller_left_is_never_forwarded(
    relay: Relay, upstream: _Upstream
) -> None:
    """When the caller goes away while its request is held (the proxy was killed), releasing
    it sends nothing upstream."""
    rule = relay.hold_request("PUT", "^/items$")
    sock = _raw_request(relay, b"PUT /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]")
    rule.wait_held()
    sock.close()
    relay.wait_for(lambda ex: ex[0].outcome == "caller gone")
    rule.release()

    assert upstream.seen == []


def test_a_delayed_request_whose_caller_left_is_never_forwarded(
    relay: Relay, upstream: _Upstream
) -> None:
    """A request delayed longer than its caller waits never reaches upstream."""
    relay.delay(3600, "PUT")
    sock = _raw_request(relay, b"PUT /items HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]")
    relay.wait_for(lambda ex: len(ex) == 1)
    sock.close()
    relay.wait_for(lambda ex: ex[0].outcome == "caller gone")

    assert upstream.seen == []


def test_a_short_delay_still_delivers(relay: Relay, client: httpx.Client) -> None:
    """A delay only postpones: the request and its answer go through."""
    relay.delay(0.01)

    assert client.get("/late").json()["path"] == "/late"


def test_a_blackhole_never_forwards_nor_answers(relay: Relay, upstream: _Upstream) -> None:
    """blackhole accepts the request, sends it nowhere and answers nothing until the caller
    gives up."""
    relay.blackhole("GET", "^/silent")
    sock = _raw_request(relay, b"GET /silent HTTP/1.1\r\nHost: x\r\n\r\n")
    relay.wait_for(lambda ex: len(ex) == 1)
    assert relay.exchanges()[0].outcome == "pending"
    sock.close()
    relay.wait_for(lambda ex: ex[0].outcome == "blackholed")

    assert upstream.seen == []


def test_reset_close_truncate_and_respond(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """reset answers with an RST, close with a clean close, truncate with a cut answer, and
    respond with canned bytes; only truncate reaches upstream."""
    relay.reset("GET", "^/reset$")
    relay.add(Rule("close", "^/close$", "GET"))
    relay.truncate(40, "GET", "^/truncate$")
    canned = b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.test/\r\nContent-Length: 0\r\n\r\n"
    relay.respond(canned, "GET", "^/redirect$")

    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get("/reset")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/close")
    with pytest.raises(httpx.RemoteProtocolError):
        client.get("/truncate")
    redirect = client.get("/redirect")

    assert redirect.status_code == 302
    assert redirect.headers["location"] == "http://elsewhere.test/"
    assert [p for _, p, _ in upstream.seen] == ["/truncate"]
    assert [e.outcome for e in relay.exchanges()] == ["reset", "close", "truncated", "responded"]


def test_down_refuses_connections_and_up_listens_again_on_the_same_port(
    relay: Relay, upstream: _Upstream
) -> None:
    """down() is a refused connection; up() serves again at the same address."""
    url = relay.url
    relay.down()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/x", timeout=5)
    relay.up()

    assert relay.url == url
    assert httpx.get(url + "/x", timeout=5).status_code == 200


def test_rules_match_method_target_and_header_for_their_count(
    relay: Relay, client: httpx.Client
) -> None:
    """A rule takes only requests matching its method, target pattern (query included) and
    header, for its count; others pass."""
    rule = relay.add(
        Rule("lose_answer", r"company_id=b", "GET", count=2, header=("Authorization", "^Basic "))
    )

    assert client.get("/jobs?company_id=a", headers={"Authorization": "Basic k"}).status_code == 200
    assert (
        client.get("/jobs?company_id=b", headers={"Authorization": "Bearer t"}).status_code == 200
    )
    assert (
        client.post("/jobs?company_id=b", headers={"Authorization": "Basic k"}).status_code == 200
    )
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/jobs?company_id=b", headers={"Authorization": "Basic k"})
    assert client.get("/jobs?company_id=b", headers={"Authorization": "Basic k"}).status_code == 200
    assert rule.arrived == 2


def test_clear_lets_held_requests_go(relay: Relay, client: httpx.Client) -> None:
    """clear() drops every rule and releases whatever hold rules were holding."""
    rule = relay.hold_request("GET", "^/held$")
    thread, result = _in_thread(lambda: client.get("/held"))
    rule.wait_held()
    relay.clear()
    thread.join()

    assert result["response"].status_code == 200
    assert client.get("/held").status_code == 200


def test_waiting_on_a_condition_that_never_comes_names_it(relay: Relay) -> None:
    """wait_for gives up with TimeoutError naming what it waited for."""
    with pytest.raises(TimeoutError, match="the impossible"):
        relay.wait_for(lambda _: False, timeout=0.01, what="the impossible")


def test_the_relay_forwards_to_loopback_only() -> None:
    """An upstream that is not 127.0.0.1 is refused."""
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        Relay("http://example.com:80")


def test_the_peak_of_requests_in_flight_upstream_is_counted(
    relay: Relay, upstream: _Upstream
) -> None:
    """Requests waiting for upstream's answer at once are counted (for F12's in-flight bound)."""
    threads = [_in_thread(lambda: httpx.get(relay.url + "/slow", timeout=20))[0] for _ in range(3)]
    relay.wait_for(lambda ex: sum(e.forwarded_at is not None for e in ex) == 3)
    assert relay.in_flight == 3
    upstream.slow.set()
    for thread in threads:
        thread.join()

    assert relay.peak_in_flight == 3
    assert relay.in_flight == 0
    assert len(upstream.seen) == 3


def test_something_that_is_not_http_ends_the_connection(relay: Relay, upstream: _Upstream) -> None:
    """A request the relay cannot frame closes the connection; nothing goes upstream."""
    sock = _raw_request(relay, b"NOT HTTP\r\nno colon here\r\n\r\n")
    try:
        assert sock.recv(100) == b""
    finally:
        sock.close()
    assert upstream.seen == []


def test_a_rule_can_skip_matches_and_look_into_the_body(
    relay: Relay, client: httpx.Client, upstream: _Upstream
) -> None:
    """skip lets the first matches pass; body picks requests by what they carry."""
    relay.add(Rule("lose_answer", "^/events$", "POST", body='"completed"', skip=1))

    assert client.post("/events", content=b'{"event":"completed"}').status_code == 200
    assert client.post("/events", content=b'{"event":"started"}').status_code == 200
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/events", content=b'{"event":"completed"}')

    assert len(upstream.seen) == 3
