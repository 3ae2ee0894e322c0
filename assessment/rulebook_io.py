"""Rulebook documents as YAML: safe reading (no duplicate keys) and readable writing.

Only :func:`yaml.safe_load`-level constructors are used: no Python objects, no tags.
Problems are reported as :class:`~assessment.core.rulebook.RulebookProblem` so that a
syntax error, a duplicate key and a broken rule reach the reader the same way.
"""

from __future__ import annotations

from typing import Any

import yaml

from assessment.core.errors import RulebookError
from assessment.core.rulebook import FORMAT, Rulebook, RulebookProblem, parse_rulebook, to_plain

#: Largest YAML document accepted (a full rulebook of a county is about 100 kB).
MAX_YAML_BYTES = 1024 * 1024


class _DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (YAML allows it silently)."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise _DuplicateKeyError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key}",
                        key_node.start_mark,
                    )
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def read_yaml(text: str | bytes) -> Any:
    """Parse YAML text into plain data, or raise RulebookError naming the line."""
    if isinstance(text, bytes):
        if len(text) > MAX_YAML_BYTES:
            raise RulebookError((RulebookProblem("", "too_large", {"max": MAX_YAML_BYTES}),))
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RulebookError((RulebookProblem("", "not_utf8", {}),)) from None
    if len(text.encode("utf-8")) > MAX_YAML_BYTES:
        raise RulebookError((RulebookProblem("", "too_large", {"max": MAX_YAML_BYTES}),))
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _DuplicateKeyError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else None
        key = (error.problem or "").removeprefix("found duplicate key ")
        raise RulebookError(
            (RulebookProblem("", "duplicate_key", {"key": key, "line": line}),)
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = str(getattr(error, "problem", "") or error)
        raise RulebookError(
            (
                RulebookProblem(
                    "", "yaml_syntax", {"line": line, "column": column, "problem": problem}
                ),
            )
        ) from None


def load_rulebook_yaml(text: str | bytes, *, partial: bool = False) -> Rulebook:
    """Read a YAML rulebook and check it completely (RulebookError with paths otherwise)."""
    data = read_yaml(text)
    if not isinstance(data, dict):
        raise RulebookError((RulebookProblem("", "not_a_mapping", {}),))
    return parse_rulebook(data, partial=partial)


class _Dumper(yaml.SafeDumper):
    """Writes labels and steps on one line each: ``name: {zh: 德, en: Integrity}``."""

    def ignore_aliases(self, data: Any) -> bool:
        # anchors and aliases would make a rulebook hard to read and to diff by eye
        return True


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    inline = set(data) in ({"zh", "en"}, {"threshold", "ratio"})
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=inline)


_Dumper.add_representer(dict, _represent_dict)


def dump_yaml(data: Any) -> str:
    """Plain data as readable YAML: Chinese as is, key order kept, labels inline."""
    text: str = yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, indent=2
    )
    return text


def dump_rulebook_yaml(rulebook: Rulebook, *, digest: str | None = None) -> str:
    """Write the canonical document as YAML with a header naming the digest."""
    header = [f"# {FORMAT}"]
    if digest:
        header.append(f"# rules digest (SHA-256 of the canonical JSON): {digest}")
    return "\n".join(header) + "\n" + dump_yaml(to_plain(rulebook))
