"""Digests through duplicated events and killed functions: every item in exactly one
digest mail of its user."""

from __future__ import annotations

import pytest

from herald_tools.local import digest_faults
from herald_tools.local.stack import Stack

pytestmark = pytest.mark.e2e


# The run's own deadlines (300 s for the releases, 300 s for their mails) end it with
# its report, lost and doubled items named, before this one does.
@pytest.mark.timeout(900)
def test_each_digest_item_is_released_once_through_faults(stack: Stack) -> None:
    report = digest_faults.run(stack, digest_faults.DigestFaultSettings())
    print("\n" + report.render())
    assert report.items == report.collected == report.released == 54
    assert report.lost == [] and report.duplicated == [] and report.miscounted == []
    # Every user's nine items took more than one window (the threshold is four).
    assert report.mails >= 3 * 6
    # The faults really happened, to digest too.
    assert sum(report.faults[k] for k in report.faults if k.startswith("kills")) >= 2
    assert report.faults["duplicate publishes"] >= 10
    assert all(child.alive() for child in stack.functions.values())
