"""The layout of docs/architecture.md, enforced on the code.

Each module outside ``*/core/`` has one part (``services``, ``views``, ...), read from the
table at the end of docs/architecture.md, so the page and this test cannot disagree. The
rules are checked by reading each module's syntax tree (``ast``), not by importing it:
a static check sees imports inside functions and branches too, needs no app, and runs
in a second. (import-linter would check the import rules, but not "views run no
queries", and it would need the parts written a second time in its own configuration.)

Where the code does not meet a rule yet, the offenders of today are listed below, exactly:
a new offender fails the test, and so does a listed one that no longer offends, so each
list can only shrink and always says what is left to move (issue 19).

Each checker is also run on a small planted source string, to show it can fail.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assessment", "surveys", "reports")
ARCHITECTURE_DOC = ROOT / "docs" / "architecture.md"
PARTS = {"app", "models", "services", "forms", "views", "web", "render", "cli", "entry"}
DOC_ROW = re.compile(
    r"^\| `(?P<path>[^`]+\.py)` \| (?P<part>[a-z]+) \| (?P<target>.+) \|$", re.MULTILINE
)
#: The folder of its package each part lives in (``entry`` modules are listed by name).
PART_FOLDERS = {
    "app": "app",
    "models": "models",
    "services": "services",
    "forms": "forms",
    "views": "views",
    "web": "views",
    "render": "render",
    "cli": "cli",
}

#: What core may not import (the top-level name; any ``flask_*`` extension as well).
FRAMEWORKS = ("flask", "werkzeug", "sqlalchemy", "wtforms", "jinja2", "weasyprint", "click")
#: What a service may not import: the web framework (values come in as arguments).
WEB_FRAMEWORK = ("flask", "werkzeug", "wtforms", "jinja2")
#: SQLAlchemy's statement builders: a view calling one writes a query.
QUERY_BUILDERS = {"select", "insert", "update", "delete", "text", "union"}
#: Session methods that read or write the database.
SESSION_QUERIES = {"get", "get_one", "execute", "scalars", "scalar", "query", "merge"}
#: Flask-SQLAlchemy's query helpers on ``db``.
DB_QUERY_HELPERS = {"get_or_404", "first_or_404", "one_or_404", "paginate"}

# To be moved (issue 19): services that still import Flask. run_build pushes an app
# context for its thread; documents both reads the database and renders the templates.
SERVICES_IMPORTING_FLASK = [
    "reports/services/builds.py: flask",
    "reports/services/documents.py: flask",
    "reports/services/documents.py: flask_babel",
]

# Rules met everywhere today: no allowlist, any offender fails. A view's lookup of one row
# by id is a service call (a get_* raising NotFoundError, or a find_* returning None where
# the page checks the row itself), never a query written in the view.
VIEW_QUERIES: list[str] = []
CORE_FRAMEWORK_IMPORTS: list[str] = []
PACKAGE_ARROWS: list[str] = []
RENDER_ORM_IMPORTS: list[str] = []


# -- reading the code ------------------------------------------------------------------


def module_name(path: str) -> str:
    """``assessment/app/db.py`` -> ``assessment.app.db``; a package's ``__init__`` -> it."""
    parts = Path(path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, path: str) -> list[str]:
    """The absolute name of every module the source imports, anywhere in it.

    Relative imports are resolved against ``path`` (a file of ours, relative to the root);
    ``from a import b`` counts as importing ``a.b`` (b may be a module).
    """
    package = module_name(path).split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                stem = ".".join([*base, node.module] if node.module else base)
            else:
                stem = node.module or ""
            names.extend(f"{stem}.{alias.name}" for alias in node.names)
    return names


def top_level(name: str) -> str:
    return name.split(".")[0]


def is_framework(name: str, frameworks: Iterable[str]) -> bool:
    root = top_level(name)
    return root in frameworks or root.startswith("flask_")


def framework_imports(source: str, path: str, frameworks: Iterable[str]) -> list[str]:
    """``"<path>: <framework>"`` for each framework the source imports (once each)."""
    found = {top_level(n) for n in imported_modules(source, path) if is_framework(n, frameworks)}
    return [f"{path}: {name}" for name in sorted(found)]


def package_arrow_violations(source: str, path: str) -> list[str]:
    """Imports against the arrows between the packages (docs/architecture.md)."""
    package = top_level(module_name(path))
    found = set()
    for name in imported_modules(source, path):
        target = top_level(name)
        if target == package or target not in PACKAGES:
            continue
        if package == "assessment" and not path.startswith("assessment/app/"):
            found.add(target)
        elif (
            package == "surveys"
            and target == "reports"
            and not name.startswith("reports.render.pdf")
        ):
            found.add(name)
    return [f"{path}: {name}" for name in sorted(found)]


def orm_imports(source: str, path: str) -> list[str]:
    """SQLAlchemy and ORM model modules the source imports (once each)."""
    found = set()
    for name in imported_modules(source, path):
        parts = name.split(".")
        if parts[0] == "sqlalchemy":
            found.add("sqlalchemy")
        elif parts[0] in PACKAGES and any(p == "models" or p.endswith("_models") for p in parts):
            found.add(".".join(parts[: next(i for i, p in enumerate(parts) if "models" in p) + 1]))
    return [f"{path}: {name}" for name in sorted(found)]


class _QueryFinder(ast.NodeVisitor):
    """Calls that query the database, each as ``"<function>: <call>"``."""

    def __init__(self, sqlalchemy_names: set[str]) -> None:
        self.sqlalchemy_names = sqlalchemy_names  # builders imported by name
        self.functions: list[str] = []
        self.sessions: list[set[str]] = [set()]
        self.found: list[str] = []

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        sessions = {
            arg.arg
            for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
            if arg.annotation is not None and ast.unparse(arg.annotation).endswith("Session")
        }
        self.functions.append(node.name)
        self.sessions.append(self.sessions[-1] | sessions)
        self.generic_visit(node)
        self.sessions.pop()
        self.functions.pop()

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            call = item.context_expr
            if (
                isinstance(call, ast.Call)
                and ast.unparse(call.func).split(".")[-1] == "unit_of_work"
                and isinstance(item.optional_vars, ast.Name)
            ):
                self.sessions[-1].add(item.optional_vars.id)
        self.generic_visit(node)

    def _query_call(self, func: ast.expr) -> str | None:
        """The call's text when it queries the database, else None."""
        if isinstance(func, ast.Name):
            return func.id if func.id in self.sqlalchemy_names else None
        if not isinstance(func, ast.Attribute):
            return None
        receiver = ast.unparse(func.value)
        builds = receiver in ("sa", "sqlalchemy") and func.attr in QUERY_BUILDERS
        on_session = receiver == "db.session" or receiver in self.sessions[-1]
        reads = on_session and func.attr in SESSION_QUERIES
        helper = receiver == "db" and func.attr in DB_QUERY_HELPERS
        return f"{receiver}.{func.attr}" if builds or reads or helper else None

    def visit_Call(self, node: ast.Call) -> None:
        call = self._query_call(node.func)
        if call is not None:
            self.found.append(f"{(self.functions or ['<module>'])[0]}: {call}")
        self.generic_visit(node)


def queries_in(source: str, path: str) -> list[str]:
    """``"<path>:<outermost function>: <call>"`` for each database query the source makes."""
    tree = ast.parse(source)
    builders = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in QUERY_BUILDERS
    }
    finder = _QueryFinder(builders)
    finder.visit(tree)
    return [f"{path}:{found}" for found in finder.found]


# -- the map ---------------------------------------------------------------------------


def product_modules() -> list[str]:
    """Every module outside ``*/core/`` except the package roots' ``__init__``."""
    return sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "core" not in path.relative_to(ROOT).parts
        and path.relative_to(ROOT) != Path(package, "__init__.py")
    )


def documented_parts() -> dict[str, str]:
    rows = [(m["path"], m["part"]) for m in DOC_ROW.finditer(ARCHITECTURE_DOC.read_text("utf-8"))]
    parts = dict(rows)
    assert len(parts) == len(rows), "a file is listed twice in docs/architecture.md"
    return parts


def modules_of(part: str) -> list[str]:
    return sorted(path for path, p in documented_parts().items() if p == part)


def core_modules() -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package / "core").glob("*.py")
    )


def source_of(path: str) -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def assert_matches_allowlist(found: list[str], allowed: list[str]) -> None:
    """Exactly the allowlisted offenders: none new, none that no longer offends."""
    new = sorted((Counter(found) - Counter(allowed)).elements())
    gone = sorted((Counter(allowed) - Counter(found)).elements())
    assert not new, f"new offenders (move the code instead): {new}"
    assert not gone, f"fixed, so remove them from the allowlist: {gone}"


# -- the map is complete and true --------------------------------------------------------


def test_every_module_has_one_documented_part():
    parts = documented_parts()
    assert set(parts.values()) <= PARTS, sorted(set(parts.values()) - PARTS)
    listed = set(parts)
    actual = set(product_modules())
    assert not actual - listed, f"give these a part in docs/architecture.md: {actual - listed}"
    assert not listed - actual, f"docs/architecture.md lists files that are gone: {listed - actual}"


def misplaced_modules(rows: Iterable[tuple[str, str, str]]) -> list[str]:
    """Modules whose table row says they stay but that are not in their part's folder.

    ``rows`` are ``(path, part, target)``; a row whose target still names a move (not
    "stays") is what is left to move (/work/notes/apply_layout.py applies those rows).
    """
    return [
        f"{path}: {part}"
        for path, part, target in rows
        if target.startswith("stays")
        and part in PART_FOLDERS
        and Path(path).parts[1:2] != (PART_FOLDERS[part],)
    ]


def test_the_parts_are_where_their_names_say():
    text = ARCHITECTURE_DOC.read_text("utf-8")
    rows = [(m["path"], m["part"], m["target"]) for m in DOC_ROW.finditer(text)]
    assert not misplaced_modules(rows), "move these into their part's folder"
    entries = [path for path, part, _ in rows if part == "entry"]
    assert entries == ["reports/recompute.py"]


def test_layout_check_catches_a_module_outside_its_folder():
    rows = [
        ("surveys/services/paper.py", "services", "stays"),
        ("assessment/views/access.py", "web", "stays (the access checks)"),
        ("surveys/ballot_views.py", "views", "stays"),
        ("assessment/tallies.py", "services", "`assessment/services/tallies.py`"),
        ("reports/views/verify.py", "cli", "stays"),
    ]
    assert misplaced_modules(rows) == [
        "surveys/ballot_views.py: views",
        "reports/views/verify.py: cli",
    ]


# -- rule 1: core imports no framework ------------------------------------------------


def test_core_imports_no_framework():
    found = [
        offender
        for path in core_modules()
        for offender in framework_imports(source_of(path), path, FRAMEWORKS)
    ]
    assert_matches_allowlist(found, CORE_FRAMEWORK_IMPORTS)


def test_core_framework_check_catches_a_planted_import():
    planted = "from typing import Any\nfrom werkzeug.utils import secure_filename\n"
    planted += "def f():\n    import flask_babel\n"
    assert framework_imports(planted, "assessment/core/x.py", FRAMEWORKS) == [
        "assessment/core/x.py: flask_babel",
        "assessment/core/x.py: werkzeug",
    ]
    assert framework_imports("import numpy\n", "assessment/core/x.py", FRAMEWORKS) == []


def test_core_modules_import_no_framework_even_indirectly():
    modules = [module_name(path) for path in core_modules()]
    assert "assessment.core.digest" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    loaded = json.loads(
        subprocess.run(  # noqa: S603  (our own interpreter on a fixed script)
            [sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
    )
    offenders = sorted(name for name in loaded if is_framework(name, FRAMEWORKS))
    assert not offenders, f"core pulls in {offenders}"
    ours = sorted(
        name
        for name in loaded
        if top_level(name) in PACKAGES and ".core" not in name and name not in PACKAGES
    )
    assert not ours, f"core imports non-core modules of ours: {ours}"


# -- rule 2: services import no Flask --------------------------------------------------


def test_services_import_no_flask():
    services = modules_of("services")
    assert "surveys/services/paper.py" in services
    assert "assessment/services/results.py" in services
    found = [
        offender
        for path in services
        for offender in framework_imports(source_of(path), path, WEB_FRAMEWORK)
    ]
    assert_matches_allowlist(found, SERVICES_IMPORTING_FLASK)


def test_service_check_catches_a_planted_flask_import():
    planted = "import sqlalchemy as sa\nfrom flask import current_app\n"
    assert framework_imports(planted, "surveys/services/paper.py", WEB_FRAMEWORK) == [
        "surveys/services/paper.py: flask"
    ]
    assert framework_imports("import sqlalchemy as sa\n", "x/y.py", WEB_FRAMEWORK) == []


# -- rule 3: the arrows between the packages -------------------------------------------


def test_packages_import_each_other_only_along_the_arrows():
    found = [
        offender
        for path in product_modules() + core_modules()
        for offender in package_arrow_violations(source_of(path), path)
    ]
    assert_matches_allowlist(found, PACKAGE_ARROWS)


def test_arrow_check_catches_planted_imports():
    assert package_arrow_violations(
        "from surveys.models.surveys import Survey\n", "assessment/x.py"
    ) == ["assessment/x.py: surveys"]
    assert package_arrow_violations("import reports.views.reports\n", "assessment/views/a.py") == [
        "assessment/views/a.py: reports"
    ]
    assert package_arrow_violations(
        "from reports.render import context\n", "surveys/views/surveys.py"
    ) == ["surveys/views/surveys.py: reports.render.context"]
    allowed = "from reports.render.pdf import html_to_pdf\nfrom assessment.models import Unit\n"
    assert package_arrow_violations(allowed, "surveys/views/surveys.py") == []
    composition = "from surveys.views import surveys as views\n"
    assert package_arrow_violations(composition, "assessment/app/__init__.py") == []


def test_relative_imports_are_resolved():
    assert imported_modules("from .db import db\n", "assessment/app/__init__.py") == [
        "assessment.app.db.db"
    ]
    assert imported_modules("from ..models import Unit\n", "assessment/views/org.py") == [
        "assessment.models.Unit"
    ]


# -- rule 4: views run no queries ------------------------------------------------------


def test_views_run_no_queries():
    found = [
        offender for path in modules_of("views") for offender in queries_in(source_of(path), path)
    ]
    assert_matches_allowlist(found, VIEW_QUERIES)


def test_query_check_catches_planted_queries():
    planted = """
import sqlalchemy as sa
from flask import session
from sqlalchemy import select

def page(period_id):
    lang = session.get("lang")  # the cookie session, not the database
    rows = db.session.scalars(sa.select(Unit))
    return db.get_or_404(Period, period_id), select(Post), rows, lang

def save(form):
    with unit_of_work(1) as s:
        s.execute(sa.update(Unit).values(name="x"))

def helper(dbs: Session):
    def inner():
        return dbs.get(Unit, 1)
    return inner
"""
    assert queries_in(planted, "v.py") == [
        "v.py:page: db.session.scalars",
        "v.py:page: sa.select",
        "v.py:page: db.get_or_404",
        "v.py:page: select",
        "v.py:save: s.execute",
        "v.py:save: sa.update",
        "v.py:helper: dbs.get",
    ]
    assert queries_in("def page():\n    return services.get_unit(db.session, 1)\n", "v.py") == []


def test_allowlist_check_fails_on_new_and_on_gone_offenders():
    assert_matches_allowlist(["a", "a", "b"], ["b", "a", "a"])
    with pytest.raises(AssertionError, match="new offenders"):
        assert_matches_allowlist(["a", "a"], ["a"])
    with pytest.raises(AssertionError, match="remove them from the allowlist"):
        assert_matches_allowlist(["a"], ["a", "b"])


# -- rule 5: reports render plain data -------------------------------------------------


def test_render_modules_import_no_orm():
    render = modules_of("render")
    assert "reports/render/context.py" in render and "reports/render/pdf.py" in render
    found = [offender for path in render for offender in orm_imports(source_of(path), path)]
    assert_matches_allowlist(found, RENDER_ORM_IMPORTS)


def test_render_check_catches_planted_orm_imports():
    planted = "from sqlalchemy.orm import Session\nimport reports.models\n"
    planted += "from assessment.models.org import Unit\nfrom assessment.core import charts\n"
    assert orm_imports(planted, "reports/x.py") == [
        "reports/x.py: assessment.models",
        "reports/x.py: reports.models",
        "reports/x.py: sqlalchemy",
    ]


# -- older rules -----------------------------------------------------------------------


def test_only_reports_pdf_imports_weasyprint():
    importers = sorted(
        path
        for path in product_modules() + core_modules()
        if any(top_level(name) == "weasyprint" for name in imported_modules(source_of(path), path))
    )
    assert importers == ["reports/render/pdf.py"]


def test_no_top_level_module_shadows_the_standard_library():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert path.stem not in sys.stdlib_module_names or path.stem == "__init__", path
