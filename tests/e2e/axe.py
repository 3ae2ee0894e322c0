"""Run axe-core (Deque's accessibility engine) on a page.

axe.min.js comes inside the ``axe-playwright-python`` wheel (a dev dependency), so the
tests need no Node.js or npm; only the file is used. The app's Content-Security-Policy
forbids inline scripts, so the
file is not added as a <script> tag: its text is evaluated through the DevTools protocol,
which the page's policy does not govern, and the page itself stays as served.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import axe_playwright_python
import pytest
from playwright.sync_api import Page

AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js")
#: Impacts that fail a test; "minor" and "moderate" findings are reported by axe too.
FAILING_IMPACTS = ("serious", "critical")
#: Rules that fail a test whatever their impact: fixed once (issue 17), kept fixed.
ALWAYS_FAILING = ("empty-table-header", "page-has-heading-one")
# WCAG 2.1 A and AA, and axe's best practices (landmarks, one <h1>, ...).
_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} at {', '.join(self.targets)}"


@cache
def _axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} not found: run scripts/install-python.sh dev")
    return AXE.read_text(encoding="utf-8")


def serious_violations(page: Page) -> list[Violation]:
    """axe-core's serious and critical violations on the page as it is now, and those of
    :data:`ALWAYS_FAILING`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found = page.evaluate(_RUN)
    return [
        Violation(v["id"], v["impact"], v["help"], tuple(v["targets"]))
        for v in found
        if v["impact"] in FAILING_IMPACTS or v["id"] in ALWAYS_FAILING
    ]
