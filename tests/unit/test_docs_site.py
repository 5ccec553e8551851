"""The documentation site builds strictly, and the README stays a short front door."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 250


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_the_site_builds_strictly_with_the_api_reference_and_the_schemas(tmp_path: Path) -> None:
    result = build(ROOT, tmp_path)
    assert result.returncode == 0, result.stderr
    # The API reference renders the committed OpenAPI document, served beside the pages.
    assert (tmp_path / "schemas" / "openapi.json").read_bytes() == (
        ROOT / "schemas" / "openapi.json"
    ).read_bytes()
    [frame] = (tmp_path / "api" / "reference").glob("swagger-*.html")
    assert '"../../schemas/openapi.json"' in frame.read_text()
    assert (tmp_path / "architecture" / "pipeline" / "index.html").exists()


def _copy_of_the_site(destination: Path) -> Path:
    shutil.copytree(ROOT / "docs", destination / "docs")
    shutil.copy(ROOT / "mkdocs.yml", destination)
    shutil.copytree(ROOT / "schemas", destination / "schemas")
    return destination


def test_a_broken_link_an_unknown_anchor_or_a_page_left_out_fails_the_build(
    tmp_path: Path,
) -> None:
    copy = _copy_of_the_site(tmp_path / "repo")
    index = copy / "docs" / "index.md"
    index.write_text(index.read_text() + "\n[a](security.md#no-such-anchor) [b](no-such-page.md)\n")
    (copy / "docs" / "left-out.md").write_text("# Not in the navigation\n")
    result = build(copy, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-anchor" in result.stderr
    assert "no-such-page.md" in result.stderr
    assert "left-out.md" in result.stderr


def test_the_readme_is_short_and_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES
    assert lines[:5] == [
        "# Herald",
        "",
        "```sh",
        "./herald up      # set up and run Herald locally: emulators, every function, wiring, "
        "mail catcher",
        "./herald test    # lint, type-check, and run the unit, integration and end-to-end tests",
    ]
