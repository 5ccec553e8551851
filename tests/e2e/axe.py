"""axe-core, the accessibility engine, run in a page of the browser under test.

Installed from npm at a pinned version on first use, into ``.herald/npm`` (which git
ignores); its one file is evaluated into the page over DevTools, so no page of Herald's
ever loads it, and its serious and critical violations are returned.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.e2e.browser import Browser

AXE_CORE = "axe-core@4.14.1"
NPM_DIR = Path(__file__).resolve().parents[2] / ".herald" / "npm"
SERIOUS = ("serious", "critical")
# What axe checks: WCAG 2.0, 2.1 and 2.2 at A and AA, and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@functools.cache
def axe_source() -> str:
    script = NPM_DIR / "node_modules" / "axe-core" / "axe.min.js"
    version = AXE_CORE.partition("@")[2]
    package = script.parent / "package.json"
    if not script.exists() or json.loads(package.read_text())["version"] != version:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the accessibility check needs npm (Debian's npm package)")
        subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(NPM_DIR),
                AXE_CORE,
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return script.read_text()


def serious_violations(browser: Browser) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now: each rule, its
    impact, what it wants and where (the elements' selectors)."""
    if not browser.evaluate("typeof window.axe === 'object'"):
        browser.evaluate(axe_source())
    options = json.dumps({"runOnly": {"type": "tag", "values": TAGS}})
    results = browser.evaluate(
        f"axe.run(document, {options}).then(r => r.violations.map(v => ({{"
        "id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' '))})))",
        await_promise=True,
    )
    return [v for v in results if v["impact"] in SERIOUS]


def assert_accessible(browser: Browser) -> None:
    found = serious_violations(browser)
    assert found == [], json.dumps(found, indent=1)
