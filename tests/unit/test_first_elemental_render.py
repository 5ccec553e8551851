"""The first Elemental render of an instance is not charged for importing the renderer:
the import costs more CPU than a render's whole guard (``Limits.cpu_seconds``)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIRST_RENDER = """
import sys
from herald.domain.rendering import render_channel
from herald.templating import Budget
from herald.templating.budget import CLOCK_EVERY
assert "herald.elemental" not in sys.modules, "imported before the first render"
content = {"version": "2022-01-01", "elements": [
    {"type": "meta", "title": "Deals"},
    {"type": "action", "content": "See the deals", "href": "https://shop.example/deals"},
]}
budget = Budget()
email = render_channel("email", content, {}, budget=budget)
budget.charge(CLOCK_EVERY)  # the email's links, paid from the same budget: the clock is read
print(email["subject"])
"""


def test_an_instances_first_elemental_email_renders_within_its_guard() -> None:
    # A fresh interpreter: the renderer is imported by this render, as on a cold start.
    done = subprocess.run(
        [sys.executable, "-c", FIRST_RENDER],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "shared")},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Deals"
