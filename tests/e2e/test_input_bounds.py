"""Body limits on the real api function (functions-framework behind gunicorn): a body
larger than the route takes is refused before it is read, by its declared length or,
chunked, as soon as it passes the limit."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from tests.e2e.conftest import Client

MIB = 1024 * 1024


def _connection(api: Client) -> http.client.HTTPConnection:
    parts = urlsplit(api.base_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)


def test_a_declared_29_mib_body_is_refused_without_being_sent(api: Client) -> None:
    connection = _connection(api)
    try:
        connection.putrequest("POST", "/send")
        connection.putheader("authorization", f"Bearer {api.key}")
        connection.putheader("content-type", "application/json")
        connection.putheader("content-length", str(29 * MIB))
        connection.endheaders()  # headers only: not one byte of the body is sent
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413
    assert body["errors"][0]["field"] == "body"
    assert "256 KiB" in body["errors"][0]["reason"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit_without_waiting_for_the_rest(
    api: Client,
) -> None:
    connection = _connection(api)
    chunk = b" " * (64 * 1024)
    try:
        connection.putrequest("PUT", "/templates/big")
        connection.putheader("authorization", f"Bearer {api.key}")
        connection.putheader("content-type", "application/json")
        connection.putheader("transfer-encoding", "chunked")
        connection.endheaders()
        # 512 KiB, past the route's 256 KiB, and then nothing: no last chunk. A server
        # that read the whole body would wait here until the client gave up.
        # The server may answer and close before the last chunks: a send that finds
        # the connection closed ends the body, and the answer is read as it came.
        for _ in range(8):
            try:
                connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                break
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413, body
    assert body["errors"][0]["field"] == "body"
    assert "256 KiB" in body["errors"][0]["reason"]
