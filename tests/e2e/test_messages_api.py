"""The messages API over the whole stack: the list on Firestore's indexes, output, cancel."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.conftest import eventually
from tests.e2e.conftest import Client

pytestmark = pytest.mark.e2e


def status_of(api: Client, message_id: str) -> str:
    status: str = api.get(f"/messages/{message_id}")["status"]
    return status


def test_sent_messages_page_by_cursor_and_show_their_output(api: Client) -> None:
    trace = uuid.uuid4().hex
    ids = [
        api.send(
            {
                "to": {"email": f"page-{i}@example.com"},
                "content": {"title": "Page {{n}}", "body": "body {{n}}"},
                "data": {"n": str(i)},
                "metadata": {"trace_id": trace},
            }
        )
        for i in range(3)
    ]
    for message_id in ids:
        eventually(lambda: status_of(api, message_id) == "SENT", what="SENT")  # noqa: B023
    eventually(
        lambda: (
            len(api.get(f"/messages?traceId={trace}&status=SENT&status=DELIVERED")["results"]) == 3
        ),
        what="three summaries SENT",
    )
    first = api.get(f"/messages?traceId={trace}&limit=2")
    assert first["paging"]["more"] is True
    second = api.get(f"/messages?traceId={trace}&limit=2&cursor={first['paging']['cursor']}")
    assert second["paging"] == {"cursor": None, "more": False}
    paged = [m["id"] for m in first["results"] + second["results"]]
    assert sorted(paged) == sorted(ids) and len(set(paged)) == 3
    enqueued = [m["enqueued"] for m in first["results"] + second["results"]]
    assert enqueued == sorted(enqueued, reverse=True)

    [output] = api.get(f"/messages/{ids[1]}/output")["results"]
    assert output["channel"] == "email"
    assert (output["content"]["subject"], output["content"]["text"]) == ("Page 1", "body 1")

    before = api.get(f"/messages/{ids[0]}")
    status, body = api.request("POST", f"/messages/{ids[0]}/cancel")
    assert (status, body) == (409, before)
    status, body = api.request("GET", f"/messages?traceId={trace}&cursor=bm90LWEtY3Vyc29y")
    assert (status, body["errors"][0]["field"]) == (400, "cursor")


def test_a_delayed_message_canceled_never_goes_out(api: Client, sinks: Client) -> None:
    address = f"cancel-{uuid.uuid4().hex[:8]}@example.com"
    trace = uuid.uuid4().hex
    message_id = api.send(
        {
            "to": {"email": address},
            "content": {"body": "never"},
            "delay": {"duration": 4000},  # long enough to cancel it while it waits
            "metadata": {"trace_id": trace},
        }
    )
    eventually(lambda: status_of(api, message_id) == "DELAYED", what="DELAYED")
    status, body = api.request("POST", f"/messages/{message_id}/cancel")
    assert (status, body["status"]) == (200, "CANCELED")

    # The delay's timer brings the event back to render, which leaves the message be.
    def render_refused() -> list[dict[str, Any]]:
        ignored: list[dict[str, Any]] = api.get(f"/messages/{message_id}/history")["ignored"]
        return [i for i in ignored if i["consumer"] == "render" and i["status"] == "CANCELED"]

    eventually(render_refused, timeout_s=30, what="the delayed event refused")
    assert [m for m in sinks.get("/mail") if address in m["to"]] == []
    history = [h["type"] for h in api.get(f"/messages/{message_id}/history")["results"]]
    assert history == ["ENQUEUED", "DELAYED", "CANCELED"]
    listed = eventually(
        lambda: api.get(f"/messages?traceId={trace}&status=CANCELED")["results"],
        what="the canceled summary",
    )
    assert [m["id"] for m in listed] == [message_id]
    assert api.get(f"/messages/{message_id}/output") == {"results": []}
