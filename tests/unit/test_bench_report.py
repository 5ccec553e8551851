"""The README's benchmark table says when its list sends followed a warm-up send."""

import json
from pathlib import Path

from bench import report

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"


def test_the_table_names_the_warm_up_list_send_when_there_was_one() -> None:
    results = json.loads(RESULTS.read_text())
    warmed = report.markdown({**results, "lists_warm_up": 1000})
    assert "list sends after an unmeasured one to 1,000 (warms the emulators)" in warmed
    cold = report.markdown({**results, "lists_warm_up": 0})
    assert "unmeasured" not in cold
