"""Each function's archive installs into a clean virtual environment and imports."""

from __future__ import annotations

import ast
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from herald.topology import FUNCTIONS, function
from herald_tools.packaging import MANIFEST, build, build_all, requirements

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HTML_RENDERING = ("api", "render")  # the functions that render Herald's own HTML
# The functions that check or render a send: phone numbers, Elemental's html element and
# numbers and dates by locale, whose libraries are imported on use, not when it loads.
SEND_CONTENT = ("api", "render", "automate")


def test_archives_are_deterministic_and_named_by_their_content(tmp_path: Path) -> None:
    first = build(ROOT, tmp_path / "a", function("render"))
    second = build(ROOT, tmp_path / "b", function("render"))
    assert first.digest == second.digest and first.path.name == second.path.name
    assert first.path.name.startswith("render-") and first.digest.startswith(
        first.path.name.removeprefix("render-").removesuffix(".zip")
    )
    names = zipfile.ZipFile(first.path).namelist()
    assert "main.py" in names and "herald/bootstrap.py" in names
    assert "herald/elemental/templates/email.html" in names
    shipped = ROOT / "shared" / "herald"
    templates = {f"herald/{p.relative_to(shipped).as_posix()}" for p in shipped.rglob("*.html")}
    assert templates and templates <= set(names)  # every template, the pages' too
    assert not [n for n in names if n.startswith("herald_tools/")]


def test_only_the_relay_the_sweep_and_the_api_require_pubsub() -> None:
    # The api's console redrives dead letters.
    needing = {f.name for f in FUNCTIONS if "google-cloud-pubsub==" in requirements(f)}
    assert needing == {"relay", "sweep", "api"}


def tooling_modules() -> list[str]:
    """Where each tooling module would sit in an archive: under herald_tools, and under
    herald by the same path or by the path it had before the packages were split."""
    package = ROOT / "shared" / "herald_tools"
    relative = [p.relative_to(package).as_posix() for p in package.rglob("*.py")]
    earlier = [
        "contracts.py",
        "observability/cost.py",
        "observability/waterfall.py",
        "events/schemafile.py",
    ]
    return [
        *(f"herald_tools/{r}" for r in relative),
        *(f"herald/{r}" for r in [*relative, *earlier] if r != "__init__.py"),
    ]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `herald package` leaves for Terraform: the archives and their manifest."""
    out = tmp_path_factory.mktemp("functions")
    build_all(ROOT, out)
    return out


def test_the_manifest_names_each_function_archive_and_its_digest(built: Path) -> None:
    archives = json.loads((built / MANIFEST).read_text())["archives"]
    assert set(archives) == {f.name for f in FUNCTIONS}
    for name, entry in archives.items():
        data = (built / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["file"] == f"{name}-{entry['sha256'][:16]}.zip"


def test_a_rebuild_leaves_only_the_current_archives(built: Path) -> None:
    stale = built / "render-0000000000000000.zip"
    stale.write_bytes(b"an earlier build")
    build_all(ROOT, built)
    assert not stale.exists()
    assert len(list(built.glob("*.zip"))) == len(FUNCTIONS)


@pytest.mark.parametrize("name", [f.name for f in FUNCTIONS])
def test_an_archive_holds_the_runtime_package_and_no_tooling(name: str, built: Path) -> None:
    entry = json.loads((built / MANIFEST).read_text())["archives"][name]
    archive = zipfile.ZipFile(built / entry["file"])
    names = set(archive.namelist())
    tooling = tooling_modules()
    assert "herald_tools/cli.py" in tooling and "herald/local/stack.py" in tooling
    assert not names & set(tooling)
    assert {n.split("/", 1)[0] for n in names} == {"main.py", "requirements.txt", "herald"}
    # The span-file exporter runs in the local stack's functions; reading the files does not.
    assert "herald/observability/spanfile.py" in names
    importing = [n for n in names if n.endswith(".py") and imports_tooling(archive.read(n))]
    assert not importing


def imports_tooling(source: bytes) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            continue
        if any(m.split(".")[0] == "herald_tools" for m in modules):
            return True
    return False


@pytest.mark.parametrize("name", [f.name for f in FUNCTIONS])
def test_an_archive_installs_in_a_clean_venv_and_its_function_imports(
    name: str, built: Path, tmp_path: Path
) -> None:
    entry = json.loads((built / MANIFEST).read_text())["archives"][name]
    source = tmp_path / "source"
    zipfile.ZipFile(built / entry["file"]).extractall(source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(source / "requirements.txt")],
        check=True,
    )
    probe = "import main, sys; assert callable(main.handle); print('herald' in sys.modules)"
    if name in HTML_RENDERING:
        # Their templates load from the archive: a page, and the email layout.
        probe += (
            "; from herald.engagement.pages import notice_page"
            "; assert '<h1>T</h1>' in notice_page('T', 'x')"
            "; from herald.elemental.email_html import email_html"
            "; from herald.templating import Budget"
            "; assert '<title>S</title>' in email_html('S', [], None, Budget())"
        )
    if name in SEND_CONTENT:
        probe += (
            "; from herald.domain.send import e164"
            "; assert e164('2025550125') == '+12025550125'"
            "; from herald.elemental.html import sanitize_html"
            "; assert sanitize_html('<b>x</b><script>y</script>') == '<b>x</b>'"
            # Templates format numbers and dates by locale with Babel, imported on use.
            "; from herald.templating import render"
            "; assert render('{{format-number 1234.5 2 locale=\"de\"}}', {}) == '1.234,50'"
        )
    result = subprocess.run(
        [str(python), "-c", probe], cwd=source, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
