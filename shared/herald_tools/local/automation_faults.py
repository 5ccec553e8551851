"""The fault-injection suite for automations: runs of several steps while events are
published twice and the functions (``automate`` among them) are killed mid-flight.

Three kinds of run, each recipient its own, counted from the API and the sinks only:

- series: send, a one-second delay on the durable timer, send: exactly two mails each
  (a message Herald ended ``SENT`` with reason ``OUTCOME_UNKNOWN``, deliver killed after
  handing it over, at most one), every step ``PROCESSED`` and the run's history one
  event per transition;
- canceled: send, a long delay, send, with a cancelation token canceled (by a run of a
  cancel step) while it waits: one mail, and the run ``CANCELED`` before its last step;
- throttled: runs of one recipient through a throttle of ``THROTTLE_LIMIT`` per week,
  then a send: exactly that many mails and runs through, the rest ``THROTTLED``;
- batched: runs of one recipient through a batch step of ``BATCH_WINDOW``, then a send:
  one run per window goes on (the rest ``BATCHED`` into it), and its one mail lists
  its window's runs; every run is in exactly one mail, none in two.

Providers do not fail here: the message suite (``faultsuite``) covers them.
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
from herald_tools.local.message_ends import ended, outcome_unknown
from herald_tools.local.stack import Stack

KILLABLE = ("relay", "automate", "render", "deliver")
THROTTLE_LIMIT = 2
BATCH_WINDOW = "5 seconds"
RUN_ENDS = frozenset({"PROCESSED", "CANCELED", "ERROR", "THROTTLED", "BATCHED"})


@dataclass(frozen=True)
class AutomationFaultSettings:
    series: int = 20
    canceled: int = 6
    # Long enough for a cancel to get through the killed functions' backoff (up to 10 s a
    # hop, several hops): a cancel that comes after the delay ends cancels nothing.
    cancel_delay: str = "90 seconds"
    throttled: int = 6  # runs through one recipient's throttle
    batched: int = 8  # runs through one recipient's batch step
    duplicate_rate: float = 0.3
    kill_every_s: float = 3.0
    concurrency: int = 8
    deadline_s: float = 300.0
    seed: int = 11


@dataclass
class AutomationFaultReport:
    runs: int
    ended: int
    lost: list[str]  # runs that never ended
    wrong: list[str]  # runs that ended otherwise than they must, or with a gap in history
    duplicated: list[str]  # recipients that got a step's mail twice
    missing: list[str]  # recipients short of a mail a step sent, once its messages ended
    sent_after_cancel: list[str]  # canceled runs that sent after the cancel
    throttled_through: int  # runs the throttle let through
    batches: int = 0  # batched runs that went on, each with its window's runs
    batch_items_lost: list[int] = field(default_factory=list)  # runs in no batch's mail
    batch_items_twice: list[int] = field(default_factory=list)  # runs in two mails
    faults: dict[str, int] = field(default_factory=dict)
    unknown_outcomes: int = 0  # steps' messages ended SENT, reason OUTCOME_UNKNOWN

    @property
    def ok(self) -> bool:
        return (
            not (
                self.lost or self.wrong or self.duplicated or self.missing or self.sent_after_cancel
            )
            and not (self.batch_items_lost or self.batch_items_twice)
            and self.ended == self.runs
            and self.throttled_through == THROTTLE_LIMIT
        )

    def render(self) -> str:
        injected = ", ".join(f"{kind} {count}" for kind, count in sorted(self.faults.items()))
        return "\n".join(
            [
                f"runs               {self.runs}",
                f"faults             {injected}",
                f"ended              {self.ended}",
                f"lost               {len(self.lost)}",
                f"wrong end/history  {len(self.wrong)}",
                f"duplicated steps   {len(self.duplicated)}",
                f"missing mails      {len(self.missing)}",
                f"outcome unknown    {self.unknown_outcomes} (SENT, reason OUTCOME_UNKNOWN: at most once)",
                f"sent after cancel  {len(self.sent_after_cancel)}",
                f"throttle let       {self.throttled_through} through (limit {THROTTLE_LIMIT})",
                f"batches released   {self.batches}",
                f"batched runs lost  {len(self.batch_items_lost)}",
                f"batched runs twice {len(self.batch_items_twice)}",
            ]
        )


def _mails(stack: Stack) -> Counter[str]:
    inbox = stack.sinks.inbox
    with inbox.lock:
        return Counter(to for mail in inbox.mail for to in mail["to"])


def _batch_items(stack: Stack, address: str) -> list[list[int]]:
    """The runs each batch's mail lists (its text: ``n;`` for each)."""
    inbox = stack.sinks.inbox
    with inbox.lock:
        texts = [str(mail["text"]) for mail in inbox.mail if address in mail["to"]]
    return [[int(n) for n in text.split(";") if n.strip()] for text in texts]


def _status(api: ApiClient, run_id: str) -> dict[str, Any] | None:
    try:
        run: dict[str, Any] = api.call("GET", f"/automations/runs/{run_id}")
    except (urllib.error.URLError, OSError):
        return None  # the api answers again in a moment
    return run


def _duplicates(stack: Stack) -> int:
    """The relay's duplicate publishes so far (its log is kept across restarts)."""
    log = stack.log_dir / "relay.log"
    text = log.read_text() if log.exists() else ""
    return text.count("fault injected: event published twice")


def _history_whole(api: ApiClient, run_id: str, events: int) -> bool:
    """One event per transition, none twice, none missing."""
    history = api.call("GET", f"/messages/{run_id}/history")["results"]
    seqs = [int(h["eventId"].rsplit(":", 1)[1]) for h in history]
    return len(history) == events and seqs == list(range(1, events + 1))


def run(
    stack: Stack, settings: AutomationFaultSettings = AutomationFaultSettings()
) -> AutomationFaultReport:
    api, tag = ApiClient(stack.base_url, stack.api_key), uuid.uuid4().hex[:8]
    duplicates_before = _duplicates(stack)
    template, batch_template = f"fault-{tag}", f"fault-batch-{tag}"
    api.call("PUT", f"/templates/{template}", {"content": {"title": "Step", "body": "{{n}}"}})
    listing = {"title": "Batch", "body": "{{#each batch.items}}{{n}};{{/each}}"}
    api.call("PUT", f"/templates/{batch_template}", {"content": listing})
    relay_env = {"HERALD_FAULT_DUPLICATE_RATE": str(settings.duplicate_rate)}
    stack.restart_function("relay", env=relay_env)
    chaos = Chaos(stack, KILLABLE, settings.kill_every_s, settings.seed, {"relay": relay_env})
    chaos.start()
    kinds: dict[str, str] = {}  # run id -> series | canceled | throttled
    addresses: dict[str, str] = {}
    throttled_address = f"throttled-{tag}@example.com"
    batched_address = f"batched-{tag}@example.com"
    batched_runs: dict[str, int] = {}  # run id -> its ``n``, listed in its batch's mail

    def invoke(
        steps: list[dict[str, Any]],
        address: str,
        token: str | None = None,
        n: int = 1,
        with_template: str = template,
    ) -> str:
        automation: dict[str, Any] = {"steps": steps}
        if token is not None:
            automation["cancelation_token"] = token
        body = {
            "automation": automation,
            "recipient": address.split("@")[0],
            "profile": {"email": address},
            "template": with_template,
            "data": {"n": n},
        }
        run_id: str = api.call("POST", "/automations/invoke", body)["runId"]
        return run_id

    send = {"action": "send"}
    try:

        def start(index: int) -> None:
            if index < settings.series:
                address = f"series-{index}-{tag}@example.com"
                steps = [send, {"action": "delay", "duration": "1 second"}, send]
                kind, run_id = "series", invoke(steps, address)
            elif index < settings.series + settings.canceled:
                address = f"canceled-{index}-{tag}@example.com"
                steps = [send, {"action": "delay", "duration": settings.cancel_delay}, send]
                kind, run_id = "canceled", invoke(steps, address, token=f"cancel-{index}-{tag}")
            elif index < settings.series + settings.canceled + settings.throttled:
                address = throttled_address
                # A week's window: runs invoked together are not split by a window's end.
                throttle = {"action": "throttle", "max_allowed": THROTTLE_LIMIT, "period": "1 week"}
                kind, run_id = "throttled", invoke([throttle, send], address)
            else:
                address = batched_address
                batch = {"action": "batch", "window": BATCH_WINDOW}
                steps = [batch, send]
                run_id = invoke(steps, address, n=index, with_template=batch_template)
                kind, batched_runs[run_id] = "batched", index
            kinds[run_id], addresses[run_id] = kind, address

        total = settings.series + settings.canceled + settings.throttled + settings.batched
        with ThreadPoolExecutor(settings.concurrency) as pool:
            list(pool.map(start, range(total)))

        deadline = time.monotonic() + settings.deadline_s
        runs: dict[str, dict[str, Any]] = {}
        cancels: dict[str, str] = {}  # canceled run -> the run of its cancel step
        while len(runs) < len(kinds) and time.monotonic() < deadline:
            for run_id, kind in kinds.items():
                if run_id in runs or (found := _status(api, run_id)) is None:
                    continue
                if found["status"] in RUN_ENDS:
                    runs[run_id] = found
                elif kind == "canceled" and found["status"] == "WAITING" and run_id not in cancels:
                    token = found["cancelation_token"]
                    cancels[run_id] = invoke(
                        [{"action": "cancel", "cancelation_token": token}],
                        f"canceler-{run_id}@example.com",
                    )
            time.sleep(0.5)
    finally:
        chaos.stop()
        stack.restart_function("relay")

    # The messages the runs made go on through the pipeline after their runs ended:
    # each must reach its end before its mails are counted.
    expected = Counter[str]()
    made: dict[str, str] = {}  # message id -> its recipient's address
    for run_id, found in runs.items():
        for step in found["steps"]:
            if step["action"] == "send" and step["status"] == "PROCESSED":
                expected[addresses[run_id]] += 1
                made[step["message_id"]] = addresses[run_id]
    ends: dict[str, dict[str, Any]] = {}  # message id -> the message at its end
    settle = time.monotonic() + settings.deadline_s
    while len(ends) < len(made) and time.monotonic() < settle:
        for message_id in set(made) - set(ends):
            if (found := ended(api, message_id)) is not None:
                ends[message_id] = found
        time.sleep(0.5)
    mails = _mails(stack)
    unknown = {m for m, found in ends.items() if outcome_unknown(found)}
    # A message whose outcome Herald said it does not know (deliver killed after the
    # hand-off) may have no mail; every other one must have its mail.
    surely = Counter(address for m, address in made.items() if m not in unknown)

    lost = sorted(set(kinds) - set(runs))
    wrong: list[str] = []
    for run_id, found in runs.items():
        kind, statuses = kinds[run_id], [s["status"] for s in found["steps"]]
        if kind == "series":
            good = statuses == ["PROCESSED"] * 3 and _history_whole(api, run_id, 4)
        elif kind == "canceled":
            # Canceled in its delay, or (its cancel slower than the delay) right after.
            good = statuses[0] == "PROCESSED" and statuses[2] == "CANCELED"
        elif kind == "batched":
            # Went on with its batch, or batched into a run of this kind that did.
            into = found["steps"][0].get("run_id")
            good = statuses == ["PROCESSED", "PROCESSED"] or (
                statuses == ["BATCHED", "PENDING"]
                and into in batched_runs
                and runs.get(into, {}).get("status") == "PROCESSED"
            )
        else:
            good = found["status"] in ("PROCESSED", "THROTTLED")
        if not good:
            wrong.append(f"{kind} {run_id}: {found['status']} {statuses}")
    duplicated = sorted(a for a, n in expected.items() if mails[a] > n)
    missing = sorted(
        f"{address}: {mails[address]} of {n} mails; its messages "
        + ", ".join(
            ends[m]["status"] if m in ends else "not ended" for m, a in made.items() if a == address
        )
        for address, n in expected.items()
        if mails[address] < surely[address]
    )
    # Its cancel came while it waited in its delay: one mail, from the step before.
    sent_after_cancel = sorted(
        run_id
        for run_id, kind in kinds.items()
        if kind == "canceled" and mails[addresses[run_id]] > 1
    )
    through = sum(
        1
        for run_id, found in runs.items()
        if kinds[run_id] == "throttled" and found["status"] == "PROCESSED"
    )
    listed = Counter(n for items in _batch_items(stack, batched_address) for n in items)
    faults = {f"kills of {name}": count for name, count in chaos.kills.items()}
    faults["duplicate publishes"] = _duplicates(stack) - duplicates_before
    return AutomationFaultReport(
        runs=len(kinds),
        ended=len(runs),
        lost=lost,
        wrong=sorted(wrong),
        duplicated=duplicated,
        missing=missing,
        sent_after_cancel=sent_after_cancel,
        throttled_through=through,
        batches=sum(
            1 for run_id in batched_runs if runs.get(run_id, {}).get("status") == "PROCESSED"
        ),
        batch_items_lost=sorted(n for n in batched_runs.values() if listed[n] == 0),
        batch_items_twice=sorted(n for n, count in listed.items() if count > 1),
        faults=faults,
        unknown_outcomes=len(unknown),
    )
