"""The fault suite's report counts each channel's messages, losses and doubles apart, so a
channel (the inbox's, whose deliveries are entries in a user's inbox) is seen to hold."""

from __future__ import annotations

from herald_tools.local.faultsuite import ChannelTally, FaultReport, tally_by_channel


def test_each_channel_is_tallied_from_its_own_messages() -> None:
    channels = {"m1": "inbox", "m2": "inbox", "m3": "email", "m4": "inbox"}
    recipients = {"m1": "inbox:ada", "m2": "inbox:bob", "m3": "a@example.com", "m4": "inbox:cy"}
    tallies = tally_by_channel(channels, recipients, lost=["m2"], duplicated=["inbox:cy"])
    assert tallies == {
        "email": ChannelTally(sent=1, lost=0, twice=0),
        "inbox": ChannelTally(sent=3, lost=1, twice=1),
    }


def test_the_report_shows_each_channels_tally() -> None:
    report = FaultReport(
        sent=2,
        ended=2,
        lost=[],
        duplicated=[],
        incomplete=[],
        faults={"kills": 1},
        by_channel={"inbox": ChannelTally(sent=2, lost=0, twice=0)},
    )
    assert "per channel    inbox 2 (0 lost, 0 twice)" in report.render().splitlines()
