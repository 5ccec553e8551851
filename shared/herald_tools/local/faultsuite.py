"""The fault-injection suite: many sends while things go wrong on purpose.

Runs on a local stack and injects, at set rates: every event published twice
(the relay's duplicate fault), function processes killed (SIGKILL) and
restarted mid-flight, and provider answers of 5xx, 429 with Retry-After, and
silence after taking the message (a timeout). Then it checks, from the API and
the sinks only, that every accepted message reached exactly one end state, one
said sent is at its sink (unless Herald said its outcome is unknown), no
recipient received a message twice, and every history is complete.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from herald_tools.local.chaos import Chaos
from herald_tools.local.client import ApiClient
from herald_tools.local.message_ends import ended, outcome_unknown
from herald_tools.local.sinks import Fault
from herald_tools.local.stack import Stack

KILLABLE = ("relay", "render", "deliver")
CHANNELS = ("email", "sms", "push", "chat", "webhook", "inbox")
INBOX_KEY = "inbox:"  # an inbox recipient's key: the prefix, then the user id
TERMINAL_HISTORY = {"SENT", "DELIVERED", "UNDELIVERABLE", "UNROUTABLE"}
TAKEN = frozenset({"SENT", "DELIVERED"})  # ends that say a provider took the message


@dataclass(frozen=True)
class FaultSettings:
    messages: int = 50
    duplicate_rate: float = 0.3
    provider_5xx_rate: float = 0.1
    provider_429_rate: float = 0.05
    provider_timeout_rate: float = 0.05
    kill_every_s: float = 4.0
    concurrency: int = 8
    deadline_s: float = 300.0
    seed: int = 7


@dataclass(frozen=True)
class ChannelTally:
    """One channel's share of a run: messages sent, lost, and recipients reached twice."""

    sent: int
    lost: int
    twice: int


def tally_by_channel(
    channels: dict[str, str], recipients: dict[str, str], lost: list[str], duplicated: list[str]
) -> dict[str, ChannelTally]:
    """Each channel's tally, from the message ids' channels and recipient keys, the ids
    lost and the keys delivered twice."""
    twice = set(duplicated)
    return {
        channel: ChannelTally(
            sent=len(ids),
            lost=sum(m in lost for m in ids),
            twice=len({recipients[m] for m in ids} & twice),
        )
        for channel in sorted(set(channels.values()))
        if (ids := [m for m, c in channels.items() if c == channel])
    }


@dataclass
class FaultReport:
    sent: int
    ended: int
    lost: list[str]
    duplicated: list[str]
    incomplete: list[str]
    faults: dict[str, int]
    latencies_ms: list[float] = field(default_factory=list)
    by_channel: dict[str, ChannelTally] = field(default_factory=dict)
    unknown_outcomes: int = 0  # ended SENT, reason OUTCOME_UNKNOWN (policy assume_sent)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.incomplete) and self.ended == self.sent

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def render(self) -> str:
        injected = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        return "\n".join(
            [
                f"sent           {self.sent}",
                f"faults         {injected}",
                f"ended          {self.ended}",
                f"lost           {len(self.lost)}",
                f"duplicated     {len(self.duplicated)}",
                f"incomplete     {len(self.incomplete)}",
                f"unknown        {self.unknown_outcomes} (SENT, reason OUTCOME_UNKNOWN: sent at most once)",
                "per channel    "
                + ", ".join(
                    f"{channel} {t.sent} ({t.lost} lost, {t.twice} twice)"
                    for channel, t in self.by_channel.items()
                ),
                f"time to end    p50 {statistics.median(self.latencies_ms or [0]):.0f} ms, "
                f"p99 {self.percentile(0.99):.0f} ms",
            ]
        )


def _recipient(channel: str, tag: str, index: int, sinks_url: str) -> tuple[dict[str, Any], str]:
    """A recipient on ``channel`` and the key its deliveries are counted by in the sinks."""
    if channel == "email":
        address = f"f{index}-{tag}@example.com"
        return {"email": address}, address
    if channel == "sms":
        number = f"+1{random.Random(f'{tag}{index}').randrange(10**9, 10**10)}"
        return {"phone_number": number}, number
    if channel == "push":
        token = f"token-{tag}-{index}"
        return {"firebaseToken": token}, token
    if channel == "inbox":
        user = f"fault-{tag}-{index}"
        return {"user_id": user}, INBOX_KEY + user
    if channel == "chat":
        path = f"/slack/{tag}/{index}"
        return {"slack": {"incoming_webhook": {"url": sinks_url + path}}}, path
    path = f"/webhooks/{tag}/{index}"
    return {"webhook": sinks_url + path}, path


def _delivered_keys(stack: Stack, recipients: list[str]) -> list[str]:
    inbox = stack.sinks.inbox
    with inbox.lock:
        keys = [to for mail in inbox.mail for to in mail["to"]]
        keys += [item["body"].get("To", "") for item in inbox.caught["sms"]]
        keys += [item["body"]["message"]["token"] for item in inbox.caught["push"]]
        keys += [item["path"] for item in inbox.caught["chat"] + inbox.caught["webhooks"]]
    # The inbox channel's deliveries are the entries in each user's inbox.
    documents = stack.adapters().documents
    for key in recipients:
        if key.startswith(INBOX_KEY):
            entries = ("inbox", key.removeprefix(INBOX_KEY), "entries")
            keys += [key] * len(documents.page(stack.workspace, entries, None, 10))
    return keys


def _set_provider_faults(stack: Stack, settings: FaultSettings) -> None:
    for kind, faults in stack.sinks.inbox.faults.items():
        transient = 451 if kind == "mail" else 503  # SMTP's 5xx are permanent; 4xx retry
        throttled = 421 if kind == "mail" else 429
        faults.random = random.Random(f"{settings.seed}-{kind}")
        faults.rates = [
            (settings.provider_5xx_rate, Fault(status=transient)),
            (settings.provider_429_rate, Fault(status=throttled, retry_after=1)),
            (settings.provider_timeout_rate, Fault(hang_s=3.0)),
        ]


def run(stack: Stack, settings: FaultSettings = FaultSettings()) -> FaultReport:
    api, tag = ApiClient(stack.base_url, stack.api_key), uuid.uuid4().hex[:8]
    relay_env = {"HERALD_FAULT_DUPLICATE_RATE": str(settings.duplicate_rate)}
    stack.restart_function("relay", env=relay_env)
    _set_provider_faults(stack, settings)
    chaos = Chaos(stack, KILLABLE, settings.kill_every_s, settings.seed, {"relay": relay_env})
    chaos.start()
    recipients: dict[str, str] = {}
    channels: dict[str, str] = {}
    started: dict[str, float] = {}
    ended_as: dict[str, dict[str, Any]] = {}  # message id -> the message at its end
    try:

        def send(index: int) -> None:
            channel = CHANNELS[index % len(CHANNELS)]
            to, key = _recipient(channel, tag, index, stack.sinks.base_url)
            message: dict[str, Any] = {"to": to, "content": {"body": f"fault {index}"}}
            if channel == "inbox":
                message["routing"] = {"method": "single", "channels": ["inbox"]}
            began = time.time() * 1000
            request_id = api.call("POST", "/send", {"message": message})["requestId"]
            recipients[request_id], started[request_id] = key, began
            channels[request_id] = channel

        with ThreadPoolExecutor(settings.concurrency) as pool:
            list(pool.map(send, range(settings.messages)))

        deadline = time.monotonic() + settings.deadline_s
        pending = set(recipients)
        while pending and time.monotonic() < deadline:
            for message_id in list(pending):
                if (found := ended(api, message_id)) is not None:
                    pending.discard(message_id)
                    ended_as[message_id] = found
            time.sleep(0.5)
    finally:
        chaos.stop()
        for faults in stack.sinks.inbox.faults.values():
            faults.rates = []
        stack.restart_function("relay")

    delivered = _delivered_keys(stack, list(recipients.values()))
    # A message said SENT or DELIVERED is at its sink (an inbox one in its user's inbox),
    # or it is lost; only one whose outcome Herald said it does not know may not be.
    unknown = {m for m, found in ended_as.items() if outcome_unknown(found)}
    missing = [
        m
        for m, key in recipients.items()
        if m in ended_as
        and ended_as[m]["status"] in TAKEN
        and m not in unknown
        and key not in delivered
    ]
    lost, incomplete, latencies = sorted([*pending, *missing]), [], []
    for message_id in recipients:
        if message_id in pending:
            continue
        history = api.call("GET", f"/messages/{message_id}/history")["results"]
        types = [h["type"] for h in history]
        seqs = [int(h["eventId"].rsplit(":", 1)[1]) for h in history]
        terminal = [t for t in types if t in TERMINAL_HISTORY]
        if (
            types[:3] != ["ENQUEUED", "ROUTED", "RENDERED"]
            or len(terminal) != 1
            or seqs != list(range(1, len(seqs) + 1))
        ):
            incomplete.append(message_id)
        latencies.append(history[-1]["ts"] - started[message_id])
    duplicated = sorted(k for k in set(recipients.values()) if delivered.count(k) > 1)
    injected: dict[str, int] = {"kills": sum(chaos.kills.values())}
    for kind, faults in stack.sinks.inbox.faults.items():
        for fault, count in faults.injected.items():
            injected[f"{kind} {fault}"] = injected.get(f"{kind} {fault}", 0) + count
        faults.injected.clear()
    relay_log = (stack.log_dir / "relay.log").read_text()
    injected["duplicate publishes"] = relay_log.count("fault injected: event published twice")
    return FaultReport(
        sent=len(recipients),
        ended=len(recipients) - len(lost),
        lost=lost,
        duplicated=duplicated,
        incomplete=incomplete,
        faults=injected,
        latencies_ms=latencies,
        by_channel=tally_by_channel(channels, recipients, lost, duplicated),
        unknown_outcomes=len(unknown),
    )
