"""The one YAML loader scimcheck reads files with (profiles, sequence files, replayed files).

YAML aliases (``*name``) let a few hundred bytes stand for billions of values (a "billion
laughs" bomb): each alias repeats a node that may itself hold aliases. PyYAML builds such a
document cheaply, sharing the repeated objects, but anything that then walks it (schema
validation, JSON encoding) visits every repetition. :class:`SafeLoader` counts the values the
document would hold once every alias is expanded, before building anything, and refuses it when
the aliases add more than :data:`MAX_ALIAS_VALUES` values to what is written out, naming the
line of the value whose aliases crossed the limit. Ordinary anchors (one body reused by two
steps) stay allowed, and so does a large file without aliases (its size is what was read).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIAS_VALUES = 100_000
"""The most values (scalars, lists, mappings) aliases may add to a document once expanded; a
bundled sequence file holds under 1,000 values in all."""

# libyaml's parser when PyYAML has it (about 10 times faster), else the pure-Python one; both
# give node marks and the composed node graph checked here.
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ExpansionError(yaml.MarkedYAMLError):
    """A document whose aliases expand past :data:`MAX_ALIAS_VALUES`; ``problem_mark``
    is where (the value whose aliases crossed the limit)."""


class SafeLoader(_Base):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader (no Python objects, no code) that refuses alias bombs."""

    def get_single_data(self) -> Any:
        """The document, once its expanded size is known to be within the limit."""
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node)
        return self.construct_document(node)


def check_expansion(root: yaml.Node, extra: int = MAX_ALIAS_VALUES) -> int:
    """The number of values under ``root`` with every alias expanded; ``ExpansionError`` when
    aliases add more than ``extra`` to the values written out. Each distinct node is sized
    once (an alias is the same node object again), so this costs the size of the node graph,
    not of its expansion."""
    limit = _distinct(root) + extra
    sizes: dict[int, int] = {}
    expanding: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            if id(node) in expanding:  # met again below itself: an alias of an ancestor
                raise ExpansionError(
                    problem="an alias (*name) refers to a node that contains it, which "
                            "expands without end; write the values out",
                    problem_mark=node.start_mark,
                )
            expanding.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1
        for child in children:
            total += sizes.get(id(child), 0)
            if total > limit:
                raise ExpansionError(
                    problem=(f"the aliases (*name) expand the document by more than {extra:,} "
                             "values, a YAML bomb; write the values out or use fewer aliases"),
                    # the value holding the alias: the alias node is the anchored one again
                    problem_mark=node.start_mark,
                )
        sizes[id(node)] = total
    return sizes[id(root)]


def _distinct(root: yaml.Node) -> int:
    """How many distinct nodes the graph holds (the values written out)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return len(seen)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load(text: str) -> Any:
    """Parse one YAML (or JSON) document safely; ``yaml.YAMLError`` (an ``ExpansionError``
    for a bomb) when it cannot be used."""
    return yaml.load(text, Loader=SafeLoader)  # safe: a SafeLoader subclass
