"""Captured provider callbacks replayed: each attack of the review, refused, and the
address the workspace had lifted from its suppression list stays lifted."""

from __future__ import annotations

import base64
import json
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from herald.api.http import Api, HttpRequest
from herald.callbacks import replay
from tests.unit.fakes import Pipeline
from tests.unit.test_api_callbacks import (
    KEY,
    SIGNER,
    WS,
    event,
    make_api,
    sendgrid_post,
    sent_message,
    twilio_post,
)

# The order of P-256's group: (r, s) and (r, n - s) sign the same message.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
ADDRESS = "ada@example.com"
PHONE = "+15005550006"
AUTH = {"Authorization": f"Bearer {KEY}"}


def malleated(signature: str) -> str:
    """The other valid signature of the same request: (r, n - s)."""
    r, s = decode_dss_signature(base64.b64decode(signature))
    return base64.b64encode(encode_dss_signature(r, P256_ORDER - s)).decode()


def lift(api: Api, address: str) -> None:
    assert api.handle(HttpRequest("DELETE", f"/suppressions/{address}", AUTH)).status == 204


def suppressed(pipeline: Pipeline, address: str) -> bool:
    return pipeline.suppressions.find(WS, address) is not None


def bounced_and_lifted() -> tuple[Api, Pipeline, str, bytes, str]:
    """A bounce that suppressed the address, which the workspace then lifted; the
    request as an attacker captured it (timestamp, body, signature)."""
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": ADDRESS})
    body = json.dumps([event(mid, "bounce", "ev-b", type="bounce", email=ADDRESS)]).encode()
    stamp = str(int(time.time()))
    signature = SIGNER.sign(stamp, body)
    taken = sendgrid_post(api, [], timestamp=stamp, signature=signature, body=body)
    assert taken.body == {"received": 1, "applied": 1} and suppressed(pipeline, ADDRESS)
    lift(api, ADDRESS)
    return api, pipeline, stamp, body, signature


def test_the_same_sendgrid_request_resigned_as_r_n_minus_s_is_refused() -> None:
    api, pipeline, stamp, body, signature = bounced_and_lifted()
    other = malleated(signature)
    assert other != signature  # a second signature, as valid as the first
    again = sendgrid_post(api, [], timestamp=stamp, signature=other, body=body)
    assert again.status == 403 and "taken before" in again.body["message"]
    assert not suppressed(pipeline, ADDRESS)


def test_a_sendgrid_event_taken_before_is_never_applied_again_in_another_request() -> None:
    # SendGrid retrying a batch sends the same events with a new timestamp and signature.
    api, pipeline, _, body, _ = bounced_and_lifted()
    stamp = str(int(time.time()) + 1)
    retried = sendgrid_post(api, [], timestamp=stamp, signature=SIGNER.sign(stamp, body), body=body)
    assert (retried.status, retried.body) == (200, {"received": 1, "applied": 0})
    assert not suppressed(pipeline, ADDRESS)


def test_a_sendgrid_request_that_failed_can_be_retried_and_applies_what_it_had_not() -> None:
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"email": ADDRESS})
    batch = [event(mid, "delivered", "ev-1"), event(mid, "open", "ev-2", timestamp="x")]
    assert sendgrid_post(api, batch).status == 400  # refused whole: nothing remembered
    batch[1]["timestamp"] = batch[0]["timestamp"]
    assert sendgrid_post(api, batch).body == {"received": 2, "applied": 2}


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ms = int(time.time() * 1000)
        monkeypatch.setattr(replay, "now_ms", lambda: self.ms)

    def days_later(self, days: float) -> None:
        self.ms += int(days * replay.DAY_MS)


@pytest.mark.parametrize("days", [1.5, 30, 89.9])
def test_an_sms_start_replayed_days_later_does_not_opt_the_number_back_in(
    days: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The review's case: the guard forgot after a day, Twilio's requests carry no time.
    clock = Clock(monkeypatch)
    api, pipeline = make_api()
    path = f"/callbacks/twilio/{WS}/inbound"
    start = {"MessageSid": "SM-start", "From": PHONE, "Body": "START"}
    assert twilio_post(api, path, start).status == 200  # captured on its way
    stop = {"MessageSid": "SM-stop", "From": PHONE, "Body": "STOP"}
    assert twilio_post(api, path, stop).status == 200 and suppressed(pipeline, PHONE)
    clock.days_later(days)
    assert twilio_post(api, path, start).status == 403
    assert suppressed(pipeline, PHONE)


def test_a_twilio_failure_replayed_a_day_later_does_not_suppress_the_number_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    api, pipeline = make_api()
    mid = sent_message(pipeline, {"phone_number": PHONE})
    path = f"/callbacks/twilio/{WS}/status/{mid}"
    failed = {"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30005"}
    assert twilio_post(api, path, failed).status == 200 and suppressed(pipeline, PHONE)
    lift(api, PHONE)
    clock.days_later(2)
    assert twilio_post(api, path, failed).status == 403
    assert not suppressed(pipeline, PHONE)


def test_a_twilio_request_without_a_message_sid_is_a_400_naming_it() -> None:
    api, _ = make_api()
    answer = twilio_post(api, f"/callbacks/twilio/{WS}/inbound", {"From": PHONE, "Body": "STOP"})
    assert answer.status == 400
    assert answer.body["errors"] == [{"field": "MessageSid", "reason": "is missing"}]
