"""About 50 messages through duplicated events, killed functions and failing providers."""

from __future__ import annotations

import pytest

from herald_tools.local import automation_faults, faultsuite
from herald_tools.local.stack import Stack

pytestmark = pytest.mark.e2e


def test_every_message_ends_once_and_no_recipient_gets_it_twice(stack: Stack) -> None:
    report = faultsuite.run(stack, faultsuite.FaultSettings(messages=50, kill_every_s=3.0))
    print("\n" + report.render())
    assert report.lost == [] and report.ended == report.sent == 50
    assert report.duplicated == []
    assert report.incomplete == []
    # The inbox among them: each message in its user's inbox exactly once.
    inbox = report.by_channel["inbox"]
    assert inbox.sent == 50 // len(faultsuite.CHANNELS) and (inbox.lost, inbox.twice) == (0, 0)
    # The faults really happened.
    assert report.faults["kills"] >= 2
    assert report.faults["duplicate publishes"] >= 10
    assert sum(v for k, v in report.faults.items() if " " in k and k[0] != "d") >= 1
    # And the stack is whole again for whatever comes next.
    assert all(child.alive() for child in stack.functions.values())


def test_each_automation_step_runs_once_and_cancels_throttles_and_batches_hold(
    stack: Stack,
) -> None:
    report = automation_faults.run(stack, automation_faults.AutomationFaultSettings())
    print("\n" + report.render())
    assert report.lost == [] and report.ended == report.runs == 40
    assert report.wrong == [] and report.duplicated == [] and report.missing == []
    assert report.sent_after_cancel == []
    assert report.throttled_through == automation_faults.THROTTLE_LIMIT
    # Each batch went on once, and its mail listed its runs: every run in one mail.
    assert report.batches >= 1
    assert report.batch_items_lost == [] and report.batch_items_twice == []
    # The faults really happened, to automate too.
    assert sum(report.faults[k] for k in report.faults if k.startswith("kills")) >= 2
    assert report.faults["duplicate publishes"] >= 10
    assert all(child.alive() for child in stack.functions.values())
