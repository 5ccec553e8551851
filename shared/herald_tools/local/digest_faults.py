"""The fault-injection suite for digests: sends to a digest topic while events are
published twice and the functions (``digest`` among them) are killed mid-flight.

Each user gets ``items`` sends to a topic whose digest releases its windows every
minute (on the durable timer), at a count threshold, and when the trigger route is
called while the sends are under way: three ways to release, racing each other and the
collection. Counted from the API and the sinks only: every item in exactly one digest
mail of its user (none lost, none twice), and every digest's mail holding the items its
count says.
"""

from __future__ import annotations

import time
import urllib.error
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from herald_tools.local.chaos import Chaos
from herald_tools.local.client import ApiClient
from herald_tools.local.message_ends import ended
from herald_tools.local.stack import Stack

KILLABLE = ("relay", "render", "digest", "deliver")
COUNT_THRESHOLD = 4
# One digest's mail: each item's number in brackets, then the count.
BODY = "{{#each digest.items}}[{{this.n}}]{{/each}} count={{digest.count}}"


def parse_mail(text: str) -> tuple[list[int], int] | None:
    """A digest mail's item numbers and count; None for a mail that is not one."""
    items, marker, rest = text.partition(" count=")
    try:
        numbers = [int(n) for n in items.replace("[", " ").replace("]", " ").split()]
        return (numbers, int(rest.split()[0])) if marker and rest.split() else None
    except ValueError:
        return None


@dataclass(frozen=True)
class DigestFaultSettings:
    users: int = 6
    items: int = 9  # sends to each user
    duplicate_rate: float = 0.3
    kill_every_s: float = 3.0
    concurrency: int = 8
    deadline_s: float = 300.0  # for the releases, then again for their mails
    seed: int = 13


@dataclass
class DigestFaultReport:
    items: int  # sends made
    collected: int  # of them, DIGESTED
    released: int  # items found in digest mails
    mails: int  # digest mails
    lost: list[str]  # items in no mail
    duplicated: list[str]  # items in two mails, or twice in one
    miscounted: list[str]  # mails whose count is not the items they hold
    faults: dict[str, int] = field(default_factory=dict)
    # Windows still holding items at the end: a lost item held there was never released;
    # one in none of them was released and its mail did not come.
    held: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not (self.lost or self.duplicated or self.miscounted)
            and self.collected == self.items == self.released
        )

    def render(self) -> str:
        injected = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        return "\n".join(
            [
                f"digest items       {self.items}",
                f"faults             {injected}",
                f"collected          {self.collected}",
                f"released           {self.released} in {self.mails} mails",
                f"lost items         {len(self.lost)}",
                f"duplicated items   {len(self.duplicated)}",
                f"miscounted mails   {len(self.miscounted)}",
                f"windows still held {len(self.held)}" + "".join(f"\n  {h}" for h in self.held),
            ]
        )


def _duplicates(stack: Stack) -> int:
    log = stack.log_dir / "relay.log"
    text = log.read_text() if log.exists() else ""
    return text.count("fault injected: event published twice")


def _mails_by_address(stack: Stack) -> dict[str, list[str]]:
    inbox = stack.sinks.inbox
    found: dict[str, list[str]] = {}
    with inbox.lock:
        for mail in inbox.mail:
            for to in mail["to"]:
                found.setdefault(to, []).append(str(mail.get("text") or ""))
    return found


def _windows(api: ApiClient, schedule: str) -> list[dict[str, Any]] | None:
    """The schedule's digests, each with its open window's count; None while the api
    restarts."""
    page = _call(api, "GET", f"/digests/schedules/{schedule}/instances?limit=100")
    return None if page is None else list(page["items"])


def _call(api: ApiClient, method: str, path: str, body: Any = None) -> Any:
    """The api's answer, or None while it restarts."""
    try:
        return api.call(method, path, body)
    except (urllib.error.URLError, OSError):
        return None


def run(stack: Stack, settings: DigestFaultSettings = DigestFaultSettings()) -> DigestFaultReport:
    api, tag = ApiClient(stack.base_url, stack.api_key), uuid.uuid4().hex[:8]
    duplicates_before = _duplicates(stack)
    one, digest, topic, schedule = (f"{name}-{tag}" for name in ("one", "digest", "topic", "min"))
    for template, body in ((one, "{{n}}"), (digest, BODY)):
        api.call("PUT", f"/templates/{template}", {"content": {"title": "Digest", "body": body}})
    api.call(
        "PUT",
        f"/preferences/topics/{topic}",
        {
            "digest": {
                "template_id": digest,
                "count_threshold": COUNT_THRESHOLD,
                "schedules": [
                    {"schedule_id": schedule, "frequency": "minutes", "interval_minutes": 1}
                ],
            }
        },
    )
    users = [f"digest-{i}-{tag}" for i in range(settings.users)]
    for user in users:
        api.call("PUT", f"/profiles/{user}", {"profile": {"email": f"{user}@example.com"}})
    relay_env = {"HERALD_FAULT_DUPLICATE_RATE": str(settings.duplicate_rate)}
    stack.restart_function("relay", env=relay_env)
    chaos = Chaos(stack, KILLABLE, settings.kill_every_s, settings.seed, {"relay": relay_env})
    chaos.start()
    sent: dict[str, tuple[str, int]] = {}  # message id -> (user, item number)
    statuses: dict[str, str] = {}
    try:

        def send(index: int) -> None:
            user, n = users[index % settings.users], index // settings.users
            message = {
                "to": {"user_id": user},
                "template": one,
                "data": {"n": n},
                "preferences": {"subscription_topic_id": topic},
            }
            answer = api.call("POST", "/send", {"message": message})
            sent[answer["requestId"]] = (user, n)
            if index == settings.users * settings.items // 2:
                api.call("POST", f"/digests/schedules/{schedule}/trigger")

        with ThreadPoolExecutor(settings.concurrency) as pool:
            list(pool.map(send, range(settings.users * settings.items)))

        deadline = time.monotonic() + settings.deadline_s
        while len(statuses) < len(sent) and time.monotonic() < deadline:
            for message_id in set(sent) - set(statuses):
                if (found := ended(api, message_id)) is not None:
                    statuses[message_id] = found["status"]
            time.sleep(0.5)
        # What is left in open windows is released by the timer within a minute.
        while time.monotonic() < deadline:
            windows = _windows(api, schedule)
            if windows is not None and all(i["event_count"] == 0 for i in windows):
                break
            time.sleep(1.0)
    finally:
        chaos.stop()
        stack.restart_function("relay")

    # The releases' messages go on through the pipeline: wait for their mails, as long
    # again; a user already holding more items than were sent will not get fewer.
    wanted = Counter(user for user, _ in sent.values())
    settle = time.monotonic() + settings.deadline_s
    while time.monotonic() < settle:
        mails = _mails_by_address(stack)
        held = Counter(
            user
            for user in users
            for text in mails.get(f"{user}@example.com", [])
            for _ in (parse_mail(text) or ([], 0))[0]
        )
        if held == wanted or any(held[user] > wanted[user] for user in users):
            break
        time.sleep(1.0)
    mails = _mails_by_address(stack)

    seen: Counter[tuple[str, int]] = Counter()
    miscounted: list[str] = []
    count = 0
    for user in users:
        for text in mails.get(f"{user}@example.com", []):
            count += 1
            parsed = parse_mail(text)
            numbers = parsed[0] if parsed else []
            if parsed is None or len(numbers) != parsed[1]:
                miscounted.append(f"{user}: {text[:120]!r}")
            seen.update((user, n) for n in numbers)
    expected = set(sent.values())
    still_held = sorted(
        f"{i['user_id']}: {i['event_count']} items in {i['digest_instance_id']}"
        for i in _windows(api, schedule) or []
        if i["event_count"]
    )
    faults = {f"kills of {name}": n for name, n in chaos.kills.items()}
    faults["duplicate publishes"] = _duplicates(stack) - duplicates_before
    return DigestFaultReport(
        items=len(sent),
        collected=sum(1 for s in statuses.values() if s == "DIGESTED"),
        released=sum(seen.values()),
        mails=count,
        lost=sorted(f"{u} item {n}" for u, n in expected - set(seen)),
        duplicated=sorted(f"{u} item {n} x{k}" for (u, n), k in seen.items() if k > 1),
        miscounted=sorted(miscounted),
        faults=faults,
        held=still_held,
    )
