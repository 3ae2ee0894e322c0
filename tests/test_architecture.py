"""Layering rules of STYLE.md sections 0-2, checked on the real import graph."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assessment", "surveys", "reports")
BANNED_IN_CORE = (
    "flask",
    "flask_sqlalchemy",
    "flask_babel",
    "flask_wtf",
    "flask_login",
    "sqlalchemy",
    "wtforms",
    "jinja2",
    "weasyprint",
    "werkzeug",
)


def _core_modules() -> list[str]:
    modules = []
    for package in PACKAGES:
        core = ROOT / package / "core"
        for path in sorted(core.glob("*.py")) if core.is_dir() else []:
            name = f"{package}.core" if path.stem == "__init__" else f"{package}.core.{path.stem}"
            modules.append(name)
    return modules


def test_core_modules_import_no_framework_even_indirectly():
    modules = _core_modules()
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
    offenders = sorted(name for name in loaded if name.split(".")[0] in BANNED_IN_CORE)
    assert not offenders, f"core pulls in {offenders}"
    ours = sorted(
        name
        for name in loaded
        if name.split(".")[0] in PACKAGES and ".core" not in name and name not in PACKAGES
    )
    assert not ours, f"core imports non-core modules of ours: {ours}"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_reports_pdf_imports_weasyprint():
    importers = sorted(
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "weasyprint" in _imports(path)
    )
    assert importers in ([], ["reports/pdf.py"])


def test_base_package_never_imports_surveys_or_reports_outside_the_app_factory():
    offenders = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "assessment").rglob("*.py")
        if path.parts[-2] != "app" and _imports(path) & {"surveys", "reports"}
    )
    assert not offenders


def test_no_top_level_module_shadows_the_standard_library():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            assert path.stem not in sys.stdlib_module_names or path.stem == "__init__", path
