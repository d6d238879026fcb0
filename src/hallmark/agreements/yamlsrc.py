"""A bounded YAML reader that keeps the line of every value, so errors can name field and line.

Only plain data comes back (str, int, float, bool, None, list, dict): dates stay strings for the
schema to parse, anchors and aliases are refused (no exponential expansion), keys must be unique
scalars, and size, nesting, node count and value length are capped. The caps are checked while the
YAML is composed, node by node, so hostile input is refused before the work it asks for is done;
an error echoes at most a short prefix of any value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hallmark.errors import InputError

MAX_BYTES = 1 << 20
MAX_DEPTH = 16
MAX_NODES = 20_000  # room for the schema's 10,000 covered assets; composing is ~50 us a node
MAX_SCALAR = 10_000  # characters; the longest schema field (notes) is 5,000
MAX_NUMBER = 100  # characters: int() of thousands of digits is slow, and nothing needs them
MAX_SHOWN = 40  # characters of a value (or key) an error may echo
MAX_MESSAGE = 300  # a last bound on an error line; the schema's own lists of choices fit in it

Loc = tuple[str | int, ...]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class DocumentError(InputError):
    """Bad content in a YAML document: `field` is the dotted path into the document
    ("permitted[0].teams"), or for a document that does not parse (or is refused whole) the
    parameter that brought it, when the reader was told it; `line` its 1-based line, `message`
    the bare complaint. Every edge shows it as today's one line naming the file, the line and
    the field: a document's field is not a flag, so `located` ignores the edge's spelling of it."""

    def __init__(self, message: str, *, field: str | None, line: int | None,
                 text: str) -> None:
        super().__init__(message, field=field, line=line)
        self.text = text

    def located(self, name: str | None) -> str:
        """The file, line, field and message as one short line."""
        return self.text


@dataclass
class Source:
    """Parsed YAML data plus the 1-based line of every value, keyed by its path."""

    data: Any
    name: str
    lines: dict[Loc, int] = field(default_factory=dict)
    raw: bytes = b""  # the exact bytes parsed, so what is stored is what was validated

    def line(self, loc: Iterable[str | int]) -> int | None:
        """The line of `loc`, or of its nearest enclosing value that has one."""
        path = tuple(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, loc: Iterable[str | int], message: str) -> InputError:
        """An InputError naming the file, the line and the field (one short line)."""
        path = tuple(loc)
        line = self.line(path)
        where = f"{self.name} line {line}" if line else self.name
        field = clip(dotted(path), 2 * MAX_SHOWN) or "(document)"
        return DocumentError(message, field=field, line=line,
                             text=clip(f"{where}: {field}: {message}", MAX_MESSAGE))


def whole(name: str, message: str, *, line: int | None = None,
          field: str | None = None) -> DocumentError:
    """An error about the whole document `name` (at `line`, when known), shown as
    "<name> line <n>: <message>" on one line."""
    where = f"{name} line {line}" if line is not None else name
    return DocumentError(message, field=field, line=line,
                         text=clip(f"{where}: {message}", MAX_MESSAGE))


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    """`text` on one line, cut to `limit` characters (marked with an ellipsis)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def shown(value: Any) -> str:
    """A value as an error may echo it: its repr, at most MAX_SHOWN characters."""
    return clip(repr(value))


def dotted(loc: Iterable[str | int]) -> str:
    """('permitted', 0, 'teams') -> 'permitted[0].teams'."""
    out = ""
    for part in loc:
        name = clip(str(part))  # keys are input too
        out += f"[{part}]" if isinstance(part, int) else (f".{name}" if out else name)
    return out


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, counting nodes and depth as it goes (it recurses per level)."""

    def __init__(self, stream: str, name: str, field: str | None = None) -> None:
        super().__init__(stream)
        self.name, self.field, self.depth, self.nodes = name, field, 0, 0

    def _refuse(self, event: yaml.Event, message: str) -> InputError:
        line = event.start_mark.line + 1 if event.start_mark else None
        return whole(self.name, message, line=line, field=self.field)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self._refuse(event, "YAML anchors and aliases are not allowed")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._refuse(event, f"more than {MAX_NODES} values")
        if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR:
            raise self._refuse(event, f"a value longer than {MAX_SCALAR} characters "
                                      f"({shown(event.value)})")
        self.depth += 1
        if self.depth > MAX_DEPTH + 1:
            raise self._refuse(event, f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def load_text(text: str, name: str = "<yaml>", *, field: str | None = None) -> Source:
    """Parse YAML text into a Source; raises InputError with the line on any problem (about
    `field`, the parameter the text came in, when the whole document is refused)."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise whole(name, f"larger than {MAX_BYTES} bytes", field=field)
    try:
        node = _compose_one(text, name, field)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise whole(name, f"not valid YAML: {problem}",
                    line=mark.line + 1 if mark is not None else None, field=field) from None
    source = Source(None, name)
    seen: set[int] = set()
    source.data = _build(node, (), source, seen, 0)
    return source


def _compose_one(text: str, name: str, field: str | None) -> yaml.Node:
    loader = _BoundedLoader(text, name, field)  # its reader refuses control characters here
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is None or loader.check_node():  # a second document is refused before composing
            raise whole(name, "expected exactly one YAML document", field=field)
        return node
    finally:
        loader.dispose()


def load_file(path: Path | str, *, field: str | None = None) -> Source:
    """Read and parse a YAML file (bounded in size); an error about reading it, or about the
    whole document, names `field` (the parameter the path came in)."""
    path = Path(path)
    try:
        if path.is_dir():
            raise InputError(f"{path} is a folder; name a YAML file", field=field)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise whole(path.name, f"larger than {MAX_BYTES} bytes", field=field)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", field=field) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise whole(path.name, "not UTF-8 text", field=field) from None
    source = load_text(text, path.name, field=field)
    source.raw = raw
    return source


def _build(node: yaml.Node, loc: Loc, source: Source, seen: set[int], depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise source.error(loc, f"nested deeper than {MAX_DEPTH} levels")
    if id(node) in seen:
        raise source.error(loc, "YAML anchors and aliases are not allowed")
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise whole(source.name, f"more than {MAX_NODES} values", line=node.start_mark.line + 1)
    source.lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, loc, source)
    if isinstance(node, yaml.CollectionNode) and node.tag not in (_SEQ, _MAP):
        raise source.error(loc, f"unsupported YAML tag {node.tag}")
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), source, seen, depth + 1)
                for i, item in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL:
                raise source.error(loc, f"line {key_node.start_mark.line + 1}: keys must be "
                                        "plain strings")
            key = str(key_node.value)
            if key == "<<":
                raise source.error(loc, "YAML merge keys are not allowed")
            if key in result:
                source.lines[(*loc, key)] = key_node.start_mark.line + 1
                raise source.error((*loc, key), "duplicate key")
            source.lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = _build(value_node, (*loc, key), source, seen, depth + 1)
        return result
    raise source.error(loc, "unsupported YAML node")


def _scalar(node: yaml.ScalarNode, loc: Loc, source: Source) -> Any:
    value = node.value
    if node.style in ("'", '"', "|", ">"):
        return value
    tag = node.tag
    try:
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value.lower() in ("yes", "true", "on", "y")
        if tag in (_INT, _FLOAT) and len(value) > MAX_NUMBER:
            raise source.error(loc, f"a number longer than {MAX_NUMBER} characters "
                                    f"({shown(value)})")
        if tag == _INT:
            return yaml.SafeLoader.construct_yaml_int(_constructor, node)
        if tag == _FLOAT:
            return yaml.SafeLoader.construct_yaml_float(_constructor, node)
    except (ValueError, yaml.YAMLError):
        raise source.error(loc, f"cannot read {shown(value)}") from None
    if tag in (_STR, _TIMESTAMP):
        return value  # dates are parsed by the schema so a bad one names its field
    raise source.error(loc, f"unsupported YAML tag {tag}")


_constructor = yaml.SafeLoader("")
