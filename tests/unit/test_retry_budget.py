"""Pub/Sub must not dead-letter an event before deliver's own budget ends the message."""

from pathlib import Path

import hcl2

from herald.config import Settings
from herald.local.wiring import RetrySettings
from herald.providers.catalog import PROVIDER_CHANNELS

TERRAFORM_VARIABLES = Path(__file__).resolve().parents[2] / "terraform" / "variables.tf"


def deliveries_needed(max_tries: int) -> int:
    # With single routing each provider of each channel can use its whole budget
    # before failing over; the claim that finds it spent is one more delivery each.
    return (max_tries + 1) * len(PROVIDER_CHANNELS)


def test_local_subscriptions_allow_deliver_to_finish() -> None:
    tries = Settings.from_env().max_delivery_tries
    assert RetrySettings().max_delivery_attempts >= deliveries_needed(tries)


def test_terraform_default_allows_deliver_to_finish() -> None:
    with TERRAFORM_VARIABLES.open() as handle:
        variables = {k: v for block in hcl2.load(handle)["variable"] for k, v in block.items()}
    retry_type = str(variables['"retry"']["type"])
    default_attempts = int(
        retry_type.split("max_delivery_attempts = optional(number, ")[1].split(")")[0]
    )
    assert default_attempts >= deliveries_needed(Settings.from_env().max_delivery_tries)
