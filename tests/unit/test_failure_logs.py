"""The e2e tier's failure report: what each function logged during the failed test."""

from pathlib import Path

from tests.e2e.failure_logs import LINE_CHARS, TAIL_LINES, offsets, written_since


def test_only_what_was_written_during_the_test_is_shown_at_most_its_tail(tmp_path: Path) -> None:
    (tmp_path / "render.log").write_text("before the test\n")
    (tmp_path / "relay.log").write_text("quiet\n")
    before = offsets(tmp_path)
    lines = [f"line {n}" for n in range(TAIL_LINES + 5)]
    with (tmp_path / "render.log").open("a") as log:
        log.write("\n".join(lines) + "\n")
    (tmp_path / "deliver.log").write_text("started during the test\n")

    sections = dict(written_since(tmp_path, before))

    assert sections == {
        "deliver.log during the test": "started during the test",
        "render.log during the test": "\n".join(lines[-TAIL_LINES:]),
    }


def test_a_line_is_cut_at_its_limit(tmp_path: Path) -> None:
    before = offsets(tmp_path)
    (tmp_path / "api.log").write_text("x" * LINE_CHARS + "y\n" + "z" * LINE_CHARS + "\n")

    [(_, text)] = written_since(tmp_path, before)

    assert text.splitlines() == ["x" * LINE_CHARS, "z" * LINE_CHARS]
