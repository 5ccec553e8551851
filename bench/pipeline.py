"""The pipeline on the local stack: send to end state beside the hop floor, what a
delivered message costs the functions, and list sends of many recipients.

End states are watched in Firestore directly (the message's state, which the
pipeline commits last), so that watching costs the functions nothing; a
message's latency runs from just before its ``POST /send`` to the commit of its
end state (its ``updated_ms``), both on this machine's clock.
"""

from __future__ import annotations

import functools
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from bench.latency import FloorProbe, one_send, paced
from bench.meter import Meter, Usage
from herald.resources.profiles import ProfileService
from herald.store.firestore_documents import FirestoreDocuments
from herald_tools.local.client import ApiClient
from herald_tools.local.stack import Stack

END_STATES = ("SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE")
DEADLINE_S = 1800.0


def now_ms() -> float:
    return time.time_ns() / 1e6


def p50(samples: Sequence[float]) -> float:
    return statistics.median(samples)


class EndStates:
    """Reads message states straight from Firestore, as the pipeline committed them."""

    def __init__(self, stack: Stack) -> None:
        self.db = firestore.Client(project=stack.emulators.project)
        self.messages = self.db.collection("workspaces", stack.workspace, "messages")

    def wait(self, message_ids: Sequence[str], deadline_s: float = DEADLINE_S) -> dict[str, int]:
        """Each message's end-state commit time (``updated_ms``), once all have one."""
        pending = set(message_ids)
        ended: dict[str, int] = {}
        deadline = time.monotonic() + deadline_s
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(pending)} messages did not end in {deadline_s:.0f} s")
            refs = [self.messages.document(i) for i in pending]
            for snap in self.db.get_all(refs, field_paths=["status", "updated_ms"]):
                data = snap.to_dict() or {}
                if data.get("status") in END_STATES:
                    ended[snap.id] = int(data["updated_ms"])
                    pending.discard(snap.id)
            time.sleep(0.2)
        return ended

    def _of_request(self, request_id: str) -> Any:
        return self.messages.where(filter=FieldFilter("request_id", "==", request_id)).where(
            filter=FieldFilter("status", "in", list(END_STATES))
        )

    def wait_for_request(self, request_id: str, expected: int) -> int:
        """The commit time of the last of a request's ``expected`` messages to end.

        Each count is a query, which the emulator answers by scanning every document it
        holds: callers wait for the mails first (``wait_for_mails``), so the count runs
        about once, not once a second beside the pipeline it measures."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            [[found]] = self._of_request(request_id).count().get()
            if int(found.value) >= expected:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{found.value} of {expected} messages ended")
            time.sleep(1.0)
        stamps = self._of_request(request_id).select(["updated_ms"]).stream()
        return max(int((s.to_dict() or {})["updated_ms"]) for s in stamps)


def mails_received(stack: Stack) -> int:
    """Mails the local SMTP sink has taken so far: counted in this process, at no cost
    to the emulators."""
    return stack.sinks.inbox.mail_count


def wait_for_mails(stack: Stack, expected: int, deadline_s: float = DEADLINE_S) -> None:
    """Until the sink holds ``expected`` mails (a message's mail comes just before its
    end state is committed)."""
    deadline = time.monotonic() + deadline_s
    while (received := mails_received(stack)) < expected:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{received} of {expected} mails in {deadline_s:.0f} s")
        time.sleep(0.2)


def email(index: int, tag: str = "bench") -> dict[str, Any]:
    return {"to": {"email": f"{tag}{index}@example.com"}, "content": {"title": "Hi", "body": "x"}}


@dataclass(frozen=True)
class Latencies:
    floor_sequential_ms: list[float]
    floor_concurrent_ms: list[float]
    sequential_ms: list[float]
    concurrent_ms: list[float]
    burst: Usage  # what the concurrent sends cost the functions
    burst_messages: int
    hops: int = 2  # a send to one email: api -> render, render -> deliver


def _at_once(count: int, task: Callable[[int], float]) -> list[float]:
    start = threading.Barrier(count)

    def run(index: int) -> float:
        start.wait()
        return task(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def measure_latency(stack: Stack, meter: Meter, sends: int, log: bool = True) -> Latencies:
    api = ApiClient(stack.base_url, stack.api_key)
    states = EndStates(stack)
    for index in range(5):  # every function's clients warm
        one_send(stack, index)
    probe = FloorProbe(stack)
    try:
        for _ in range(5):
            probe.hop()
        floor_sequential = [paced(probe.hop) for _ in range(sends)]
        floor_concurrent = _at_once(sends, lambda _: probe.hop())
    finally:
        probe.close()
    if log:
        print(
            f"  hop floor: p50 {p50(floor_sequential):.0f} ms alone, "
            f"{p50(floor_concurrent):.0f} ms {sends} at once",
            flush=True,
        )
    sequential = [paced(functools.partial(one_send, stack, 1000 + i)) for i in range(sends)]
    if log:
        print(f"  send to end state, one at a time: p50 {p50(sequential):.0f} ms", flush=True)

    started: dict[str, float] = {}

    def post(index: int) -> float:
        began = now_ms()
        request_id = api.call("POST", "/send", {"message": email(2000 + index)})["requestId"]
        started[request_id] = began
        return 0.0

    with stack.schedule_paused():  # the sweep runs on its schedule, not per message
        meter.start()
        _at_once(sends, post)
        ended = states.wait(list(started))
        burst = meter.stop()
    concurrent = [ended[i] - started[i] for i in started]
    if log:
        print(f"  send to end state, {sends} at once: p50 {p50(concurrent):.0f} ms", flush=True)
    return Latencies(floor_sequential, floor_concurrent, sequential, concurrent, burst, sends)


@dataclass(frozen=True)
class ListSend:
    recipients: int
    seconds: float  # from the POST to the commit of the last message's end state
    usage: Usage

    @property
    def per_second(self) -> float:
        return self.recipients / self.seconds


# A list send names a stored template, as Courier's do: its messages are counted in the
# template's metrics.
LIST_TEMPLATE = "bench-list"


def seed_list(stack: Stack, list_id: str, recipients: int) -> None:
    """A list of ``recipients`` subscribers, each with a profile holding an email address."""
    api = ApiClient(stack.base_url, stack.api_key)
    users = [f"bench-user-{i:05d}" for i in range(recipients)]
    profiles = ProfileService(FirestoreDocuments(firestore.Client(project=stack.emulators.project)))

    def profile(user: str) -> None:
        profiles.replace(stack.workspace, user, {"profile": {"email": f"{user}@example.com"}})

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(profile, users))
    api.call("PUT", f"/lists/{list_id}", {"name": list_id})
    api.call("PUT", f"/templates/{LIST_TEMPLATE}", {"content": {"title": "Hi", "body": "x"}})
    for start in range(0, recipients, 1000):  # POST adds (PUT would replace the list's)
        chunk = [{"recipientId": user} for user in users[start : start + 1000]]
        api.call("POST", f"/lists/{list_id}/subscriptions", {"recipients": chunk})


def measure_list_send(
    stack: Stack, meter: Meter, recipients: int, log: bool = True, list_id: str | None = None
) -> ListSend:
    list_id = list_id or f"bench-{recipients}"
    if log:
        print(f"  seeding a list of {recipients:,} subscribers...", flush=True)
    seed_list(stack, list_id, recipients)
    api = ApiClient(stack.base_url, stack.api_key)
    states = EndStates(stack)
    with stack.schedule_paused():
        meter.start()
        mails_before = mails_received(stack)
        began = now_ms()
        body = {"message": {"to": {"list_id": list_id}, "template": LIST_TEMPLATE}}
        request_id = api.call("POST", "/send", body)["requestId"]
        wait_for_mails(stack, mails_before + recipients)
        last = states.wait_for_request(request_id, recipients)
        usage = meter.stop()
    result = ListSend(recipients, (last - began) / 1000, usage)
    if log:
        print(
            f"  list send to {recipients:,}: {result.seconds:.0f} s,"
            f" {result.per_second:.1f} messages/s",
            flush=True,
        )
    return result
