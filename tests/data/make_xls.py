"""Write the .xls fixtures of tests/assessment/test_spreadsheet_formats.py (run by a person).

    .venv/bin/python tests/data/make_xls.py

Each sheet is written as .xlsx by openpyxl, then converted by LibreOffice
(``libreoffice --headless --convert-to xls``; Debian 12's libreoffice-calc-nogui), which
writes the BIFF8 files that Excel 97-2003 and WPS save. LibreOffice is not a dependency of
the project: only these small files are committed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
ROSTER_ZH = [
    *("人员编号", "姓名", "性别", "出生年份"),
    *("岗位代码", "单位代码", "任职起始日期", "任职截止日期"),
]

SHEETS: dict[str, list[list[object]]] = {
    # Chinese headers, a number cell for the year of birth and a date cell for the start.
    "roster-zh.xls": [
        ROSTER_ZH,
        ["QS041", "陈晓明", "男", 1985, "GRID", "QSZ-01", date(2026, 3, 1), None],
        ["QS042", "李红", "女", 1990, "GRID", "QSZ-02", "2026-03-01", None],
    ],
    # Row 4 has a start date that is no date.
    "roster-bad-row.xls": [
        ROSTER_ZH,
        ["QS041", "陈晓明", "男", 1985, "GRID", "QSZ-01", "2026-03-01", None],
        ["QS042", "李红", "女", 1990, "GRID", "QSZ-02", "2026-03-01", None],
        ["QS043", "王强", "男", 1979, "GRID", "QSZ-03", "2026-13-45", None],
    ],
}


def _write(rows: list[list[object]], target: Path) -> None:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(target)


def main() -> None:
    office = shutil.which("libreoffice")
    if office is None:
        raise SystemExit(
            "needs LibreOffice: scripts/install-system-packages.sh libreoffice-calc-nogui"
        )
    with tempfile.TemporaryDirectory() as work:
        for name, rows in SHEETS.items():
            source = Path(work) / name.replace(".xls", ".xlsx")
            _write(rows, source)
            subprocess.run(  # noqa: S603  (fixed argv)
                [office, "--headless", "--convert-to", "xls", "--outdir", work, str(source)],
                check=True,
                capture_output=True,
            )
            shutil.copyfile(Path(work) / name, HERE / name)
            print(f"wrote {HERE / name}")  # noqa: T201


if __name__ == "__main__":
    main()
