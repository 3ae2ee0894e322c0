"""Pasting a block from Excel into the results grid (static/js/grid.js), in Chromium.

The script is loaded into a page holding a grid as the results grid renders it (two
tables, inputs with ``data-grid-row`` and ``data-grid-col``); the paste event carries
what Excel puts on the clipboard: cells split by tabs, rows ending in CRLF.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "grid.js"


def _table(name: str, rows: int, cols: int, disabled: tuple[int, int] | None = None) -> str:
    body = []
    for r in range(rows):
        cells = []
        for c in range(cols):
            off = " disabled" if disabled == (r, c) else ""
            cells.append(
                f'<td><input id="{name}-{r}-{c}" data-grid-row="{r}" data-grid-col="{c}"{off}></td>'
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table id="{name}">' + "".join(body) + "</table>"


@pytest.fixture
def grid_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<form>" + _table("a", 3, 3, disabled=(2, 2)) + _table("b", 2, 2) + "</form>")
    page.add_script_tag(path=str(SCRIPT))
    yield page
    context.close()


def _paste(page, selector: str, text: str) -> None:
    page.focus(selector)
    page.evaluate(
        """([selector, text]) => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            const event = new ClipboardEvent("paste", {clipboardData: data, bubbles: true,
                                                       cancelable: true});
            document.querySelector(selector).dispatchEvent(event);
        }""",
        [selector, text],
    )


def _values(page, table: str) -> list[list[str]]:
    return page.evaluate(
        """(table) => Array.from(document.querySelectorAll(`#${table} tr`)).map(
            (tr) => Array.from(tr.querySelectorAll("input")).map((i) => i.value))""",
        table,
    )


def test_a_block_from_excel_fills_right_and_down_within_its_table(grid_page):
    _paste(grid_page, "#a-0-1", "12.5\t80\t99\r\n13\t 81 \r\n14\t82\t100\r\n")
    assert _values(grid_page, "a") == [
        ["", "12.5", "80"],  # the third column is beyond the table: dropped
        ["", "13", "81"],
        ["", "14", ""],  # a disabled cell stays as it is
    ]
    assert _values(grid_page, "b") == [["", ""], ["", ""]]  # another table is not touched


def test_a_single_value_pastes_as_usual(grid_page):
    grid_page.focus("#b-1-0")
    grid_page.keyboard.insert_text("7")
    _paste(grid_page, "#b-0-0", "42")  # no tab, no line break: the script stays out
    assert _values(grid_page, "b") == [["", ""], ["7", ""]]


def test_enter_moves_down_and_tab_along_the_row(grid_page):
    grid_page.focus("#a-0-0")
    grid_page.keyboard.type("1")
    grid_page.keyboard.press("Enter")
    grid_page.keyboard.type("2")
    grid_page.keyboard.press("Tab")
    grid_page.keyboard.type("3")
    grid_page.keyboard.press("ArrowUp")
    grid_page.keyboard.type("4")
    assert _values(grid_page, "a")[:2] == [["1", "4", ""], ["2", "3", ""]]
