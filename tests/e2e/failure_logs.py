"""What each function of the local stack logged during a test, shown when the test fails:
a CI run keeps only pytest's output, and a pipeline stalled or slow is told by its logs."""

from __future__ import annotations

from pathlib import Path

TAIL_LINES = 40  # a function's last lines during the test
LINE_CHARS = 400  # a JSON log line cut to what a reader scans


def offsets(log_dir: Path) -> dict[Path, int]:
    """Where each log ends now: what a test adds starts there."""
    return {log: log.stat().st_size for log in sorted(log_dir.glob("*.log"))}


def written_since(log_dir: Path, before: dict[Path, int]) -> list[tuple[str, str]]:
    """Each log's last lines written after ``before``, as pytest report sections."""
    sections = []
    for log in sorted(log_dir.glob("*.log")):
        with log.open("rb") as handle:
            handle.seek(before.get(log, 0))
            lines = handle.read().decode(errors="replace").splitlines()[-TAIL_LINES:]
        if lines:
            text = "\n".join(line[:LINE_CHARS] for line in lines)
            sections.append((f"{log.name} during the test", text))
    return sections
