"""Every ``>>>`` example in the docstrings of the pure cores runs, and passes.

The examples in ``assessment/core``, ``surveys/core`` and ``reports/core`` are part of the
documentation of each formula (STYLE.md: numpydoc with examples); running them keeps the
documentation true. One test per module, found on disk, so a new core module is covered
without being listed here.

The cores touch no database, so the examples run on the SQLite pass only: the PostgreSQL
pass (``TEST_DATABASE_URL`` set) skips them instead of running the same code twice.
"""

from __future__ import annotations

import doctest
import importlib
import os
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE_PACKAGES = ("assessment/core", "surveys/core", "reports/core")
#: The docstrings write "..." for the rest of a long message or value (as pytest's
#: --doctest-modules does by default).
OPTION_FLAGS = doctest.ELLIPSIS
PROMPT = re.compile(r"^\s*>>> ", re.MULTILINE)


def core_module_names() -> list[str]:
    names = []
    for package in CORE_PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def run_examples(module: ModuleType) -> tuple[doctest.TestResults, str]:
    """Run the module's examples; the results and doctest's report of each failure."""
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTION_FLAGS)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=report.append)
    return runner.summarize(verbose=False), "".join(report)


def prompts_in_source(module: ModuleType) -> int:
    assert module.__file__ is not None
    return len(PROMPT.findall(Path(module.__file__).read_text(encoding="utf-8")))


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="pure code: its examples run on the SQLite pass",
)
@pytest.mark.parametrize("name", core_module_names())
def test_docstring_examples_of_core_module(name: str) -> None:
    module = importlib.import_module(name)
    results, report = run_examples(module)
    assert results.failed == 0, report
    # Every example in the file is one doctest finds and runs: none sits in a comment,
    # a nested function or anywhere else doctest does not look.
    assert results.attempted == prompts_in_source(module)


def test_every_core_package_has_examples() -> None:
    names = core_module_names()
    assert {name.split(".")[0] for name in names} == {"assessment", "surveys", "reports"}
    assert sum(prompts_in_source(importlib.import_module(name)) for name in names) > 300


def test_a_wrong_example_fails(tmp_path: Path) -> None:
    """The runner really compares: a module whose example is wrong is reported."""
    source = 'def double(x):\n    """\n    >>> double(2)\n    5\n    """\n    return 2 * x\n'
    module = ModuleType("planted")
    module.__file__ = str(tmp_path / "planted.py")
    Path(module.__file__).write_text(source, encoding="utf-8")
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102  (our planted string)
    results, report = run_examples(module)
    assert (results.failed, results.attempted) == (1, 1)
    assert "Expected:\n    5\nGot:\n    4" in report
