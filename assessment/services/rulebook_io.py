"""Rulebook documents as YAML: safe reading (no duplicate keys) and readable writing.

Only :func:`yaml.safe_load`-level constructors are used: no Python objects, no tags.
Problems are reported as :class:`~assessment.core.rulebook.RulebookProblem` so that a
syntax error, a duplicate key and a broken rule reach the reader the same way.

Heavy documents are refused while they are read, before any work is done on them: more
than :data:`MAX_YAML_BYTES`, nesting deeper than :data:`MAX_YAML_DEPTH` (PyYAML composes
nodes recursively, so 10,000 ``[`` would end in a RecursionError), more than
:data:`MAX_YAML_ALIASES` aliases, or more than :data:`MAX_YAML_NODES` nodes once every
alias is counted as the node it repeats ("billion laughs": a few lines of aliases can
stand for more nodes than any later step could walk). Text holding a control character
is refused by the text rule (:mod:`assessment.core.text`), naming where it is.
"""

from __future__ import annotations

from typing import Any

import yaml

from assessment.core.errors import RulebookError
from assessment.core.rulebook import FORMAT, Rulebook, RulebookProblem, parse_rulebook, to_plain
from assessment.core.text import find_control_character_in_tree

#: Largest YAML document accepted (a full rulebook of a county is about 100 kB).
MAX_YAML_BYTES = 1024 * 1024
#: Deepest nesting of lists and mappings (a rulebook needs 7: sets, indicators, steps...).
MAX_YAML_DEPTH = 32
#: Most aliases (``*name``); the rulebook's own YAML has none.
MAX_YAML_ALIASES = 100
#: Most nodes with every alias expanded (1 MB of YAML holds at most about 500,000).
MAX_YAML_NODES = 1_000_000


class _TooHeavyError(yaml.MarkedYAMLError):
    """The document is too deep or stands for too many nodes; ``code`` says which."""

    def __init__(self, code: str, limit: int, mark: Any) -> None:
        super().__init__(problem=code, problem_mark=mark)
        self.code = code
        self.limit = limit


class _DuplicateKeyError(yaml.MarkedYAMLError):
    pass


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated in one mapping (YAML allows it silently),
    and a document too deep or too large once its aliases are expanded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        # nodes counted so far in each open collection (innermost last)
        self._counts: list[int] = [0]
        # expanded size of every finished node, for the aliases that repeat it
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # types-PyYAML leaves Parser.peek_event unannotated; it returns the next Event.
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _TooHeavyError("too_many_aliases", MAX_YAML_ALIASES, event.start_mark)
            node = super().compose_node(parent, index)
            size = self._sizes.get(id(node))
            if size is None:  # an alias inside the node it names: endless when expanded
                raise _TooHeavyError("too_many_nodes", MAX_YAML_NODES, event.start_mark)
            self._count(size, event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _TooHeavyError("too_deep", MAX_YAML_DEPTH, event.start_mark)
        self._counts.append(0)
        node = super().compose_node(parent, index)
        size = 1 + self._counts.pop()
        self._sizes[id(node)] = size
        self._depth -= 1
        self._count(size, event.start_mark)
        return node

    def _count(self, size: int, mark: Any) -> None:
        self._counts[-1] += size
        if self._counts[0] > MAX_YAML_NODES or self._counts[-1] > MAX_YAML_NODES:
            raise _TooHeavyError("too_many_nodes", MAX_YAML_NODES, mark)

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
        # The stub takes a MappingNode only; PyYAML checks the node itself and raises
        # ConstructorError for any other (a `!!set [a, b]` reaches here as a sequence).
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)  # type: ignore[arg-type]
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
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except _TooHeavyError as error:
        raise RulebookError((RulebookProblem("", error.code, {"max": error.limit}),)) from None
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
    found = find_control_character_in_tree(data)
    if found is not None:
        path, character = found
        raise RulebookError(
            (RulebookProblem(path, "control_character", {"character": character.label}),)
        )
    return data


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
