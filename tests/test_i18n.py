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


def _placeholders(message_id: str) -> dict[str, int]:
    import re

    return dict.fromkeys(re.findall(r"%\((\w+)\)[sd]", message_id), 1)


def test_every_translation_formats_as_jinja_and_babel_will_format_it():
    """A translation must survive the ``%`` formatting its message gets.

    Jinja's gettext (newstyle) formats every string, with or without variables, so a
    bare ``%`` in a translation whose English has none raised ``unsupported format
    character`` and answered 500 on the Chinese survey results page ("置信区间（95%）").
    Chinese text writes the full-width ``％`` instead.
    """
    for locale in ("zh_Hans_CN", "en"):
        for message in _catalog(locale):
            if not message.id or not message.string:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            params = {}
            for message_id in ids:
                params.update(_placeholders(message_id))
            for string in strings:
                if not string:
                    continue
                if not any("%" in message_id for message_id in ids):
                    assert "%" not in string, (locale, ids[0], string)
                else:
                    string % params  # raises on a stray %
