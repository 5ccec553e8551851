"""The list's filters under the names Courier's SDK sends, and those Herald refuses."""

from __future__ import annotations

from tests.unit.test_messages_api import call, listed, make_api, put_summary


def test_courier_s_message_id_and_event_filter_as_request_id_and_notification() -> None:
    api, p = make_api()
    put_summary(p, "m1", 1_000, template="invoice", request_id="req-1")
    put_summary(p, "m2", 2_000, template="welcome", request_id="req-2")
    assert listed(call(api, "GET", "/messages", messageId="req-1")) == ["m1"]
    assert listed(call(api, "GET", "/messages", event="welcome")) == ["m2"]
    same = call(api, "GET", "/messages", event="invoice", notification="invoice")
    assert listed(same) == ["m1"]
    # Nothing is archived: archived=true lists the same messages.
    assert listed(call(api, "GET", "/messages", archived="true")) == ["m2", "m1"]


def test_two_names_of_one_filter_must_agree() -> None:
    api, _ = make_api()
    both = call(api, "GET", "/messages", requestId="req-1", messageId="req-2")
    assert (both.status, both.body["errors"][0]["field"]) == (400, "messageId")


def test_courier_filters_herald_cannot_apply_are_refused_not_ignored() -> None:
    api, p = make_api()
    put_summary(p, "m1", 1_000)
    for name in ("list", "provider"):
        refused = call(api, "GET", "/messages", **{name: "x"})
        assert refused.status == 400, name
        assert refused.body["errors"] == [
            {"field": name, "reason": "is a Courier filter Herald does not support yet"}
        ]
