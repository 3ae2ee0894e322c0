"""Every string a person sees has a Chinese translation, and both catalogs compile.

The Chinese catalog lives in ``zh_Hans_CN``: Babel expands the configured ``zh_CN`` to
that name, and gettext looks for exactly it (then ``zh``).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "assessment" / "app" / "translations"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}


def _extracted_ids() -> set[str]:
    method_map = [
        ("**/.venv/**", "ignore"),
        ("tests/**", "ignore"),
        ("instance/**", "ignore"),
        ("migrations/**", "ignore"),
        ("assessment/**.py", "python"),
        ("surveys/**.py", "python"),
        ("reports/**.py", "python"),
        ("templates/**.html", "jinja2"),
    ]
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map=method_map,
        options_map={"templates/**.html": {"trimmed": "true"}},
        keywords=KEYWORDS,
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def _catalog(locale: str):
    with open(CATALOGS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def test_every_visible_string_has_a_chinese_translation():
    catalog = _catalog("zh_Hans_CN")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (m.string if isinstance(m.string, str) else all(m.string))
    }
    missing = sorted(_extracted_ids() - translated)
    assert not missing, (
        "run `flask --app assessment.app i18n extract && ... i18n update` and translate: "
        + "; ".join(missing[:20])
    )


def test_chinese_translations_keep_their_placeholders():
    import re

    for message in _catalog("zh_Hans_CN"):
        if not message.id or not isinstance(message.id, str) or not message.string:
            continue
        wanted = sorted(re.findall(r"%\(\w+\)s", message.id))
        assert sorted(re.findall(r"%\(\w+\)s", message.string)) == wanted, message.id


def test_english_catalog_exists_for_the_same_messages():
    english = {m.id for m in _catalog("en") if m.id}
    chinese = {m.id for m in _catalog("zh_Hans_CN") if m.id}
    assert english == chinese
