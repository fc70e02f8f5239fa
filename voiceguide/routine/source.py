"""Read a routine file into a small tree of YAML nodes that remember their positions.

PyYAML's composer gives nodes with marks but no values; we turn them into
`YMap`/`YSeq`/`YScalar` and leave the interpretation of scalars to the
validator (so `say: yes` stays the text "yes" and `for: 45` can be read as a
duration). Hostile input is bounded here: file size, nesting depth, and the
number of nodes after alias expansion (the "billion laughs" bomb).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import Diagnostic, Pos, ScriptError

MAX_BYTES = 1 << 20  # a hand-written routine is a few kilobytes
MAX_NODES = 20_000  # nodes after expanding aliases
MAX_DEPTH = 40

_STANDARD_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {"str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge"}


@dataclass(frozen=True)
class YScalar:
    text: str
    tag: str  # the short resolved tag: str, int, float, bool, null, or something else
    pos: Pos
    style: str | None  # None for plain, '"', "'", '|', '>'
    start: int  # character offsets of the node in the source
    end: int

    @property
    def is_null(self) -> bool:
        return self.tag == "null"


@dataclass(frozen=True)
class YSeq:
    items: tuple
    pos: Pos


@dataclass(frozen=True)
class YMap:
    pairs: tuple  # of (YScalar key, node)
    pos: Pos

    def get(self, key: str):
        for k, v in self.pairs:
            if k.text == key:
                return v
        return None

    def keys(self) -> list[str]:
        return [k.text for k, _ in self.pairs]


YNode = YScalar | YSeq | YMap


@dataclass(frozen=True)
class Source:
    """A loaded routine file: its display name, text, and root node."""

    path: Path
    name: str
    text: str
    root: YNode | None

    def pos_at(self, index: int) -> Pos:
        """The 1-based position of a character offset in the text."""
        index = max(0, min(index, len(self.text)))
        line = self.text.count("\n", 0, index) + 1
        col = index - (self.text.rfind("\n", 0, index) + 1) + 1
        return Pos(line, col)

    def pos_in(self, node: YScalar, needle: str, occurrence: int = 0) -> Pos:
        """Where `needle` (part of a scalar's value) stands in the file; the node's start if not found."""
        raw = self.text[node.start : node.end]
        at = -1
        for _ in range(occurrence + 1):
            at = raw.find(needle, at + 1)
            if at < 0:
                return node.pos
        return self.pos_at(node.start + at)


def _fail(name: str, pos: Pos, message: str) -> ScriptError:
    return ScriptError([Diagnostic(name, pos, message)])


def read_text(path: Path, name: str | None = None) -> str:
    """Read a routine's bytes as UTF-8 with clear, positioned errors."""
    name = name or str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _fail(name, Pos(), "no such file") from None
    except OSError as exc:
        raise _fail(name, Pos(), f"cannot read the file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail(name, Pos(), "is a directory, not a routine file")
    if not stat.S_ISREG(st.st_mode):
        raise _fail(name, Pos(), "is not a regular file")
    if st.st_size > MAX_BYTES:
        raise _fail(
            name,
            Pos(),
            f"the file is {st.st_size / 1048576:.1f} MiB; a routine may be at most {MAX_BYTES // 1024} KiB",
        )
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(name, Pos(), f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise _fail(name, Pos(), f"the file is larger than {MAX_BYTES // 1024} KiB")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        raise _fail(
            name,
            Pos(line, col),
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8",
        ) from None


def _mark_pos(mark) -> Pos:
    return Pos(mark.line + 1, mark.column + 1)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> tuple[object, str]:
    """The mark to point at and a plain-words message for a YAML syntax error."""
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    if "quoted scalar" in context and exc.context_mark is not None:
        return exc.context_mark, "invalid YAML: this quoted text is never closed (add the closing quote)"
    if context.startswith("expected a single document"):
        return mark, "invalid YAML: a routine is a single YAML document, but a second one starts here ('---')"
    if problem.startswith("found character '\\t' that cannot start any token"):
        return mark, "invalid YAML: a tab cannot indent YAML; use spaces"
    if problem.startswith("expected <block end>"):
        return mark, "invalid YAML: this line is not lined up with the lines above it (check its indentation)"
    if problem.startswith("mapping values are not allowed here"):
        return mark, (
            "invalid YAML: unexpected ': ' here; if the text holds ': ', put the whole text in quotes, "
            "otherwise check the indentation"
        )
    if problem.startswith("found undefined alias"):
        return mark, f"invalid YAML: {problem} (an '*name' needs a matching '&name' before it)"
    words = "; ".join(w for w in (context, problem) if w) or "invalid YAML"
    return mark, f"invalid YAML: {words}"


def _flow_too_deep(text: str) -> int | None:
    """The offset of the first '[' or '{' nested deeper than MAX_DEPTH (outside quotes and comments)."""
    depth, quote, comment = 0, "", False
    for i, ch in enumerate(text):
        if comment:
            comment = ch != "\n"
            continue
        if quote:
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'" and (i == 0 or text[i - 1] in " \t[{,:\n"):
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t\n"):
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return i
        elif ch in "]}":
            depth = max(0, depth - 1)
    return None


def load(path: Path | str, name: str | None = None) -> Source:
    """Load a routine file. Raises ScriptError with a positioned message on any problem."""
    path = Path(path)
    name = name or str(path)
    text = read_text(path, name)
    return parse(text, path=path, name=name)


def parse(text: str, *, path: Path | str = "<string>", name: str | None = None) -> Source:
    path = Path(path)
    name = name or str(path)
    deep = _flow_too_deep(text)
    if deep is not None:
        pos = Source(path, name, text, None).pos_at(deep)
        raise _fail(name, pos, f"the document is nested too deeply (more than {MAX_DEPTH} levels)")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark, message = _yaml_problem(exc)
        raise _fail(name, _mark_pos(mark) if mark else Pos(), message) from None
    except yaml.reader.ReaderError as exc:
        pos = Source(path, name, text, None).pos_at(exc.position)
        raise _fail(name, pos, f"the file holds a character YAML does not allow (#x{exc.character:04x})") from None
    except yaml.YAMLError as exc:
        raise _fail(name, Pos(), f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _fail(name, Pos(), f"the document is nested too deeply (more than {MAX_DEPTH} levels)") from None
    if node is None:
        return Source(path, name, text, None)
    root = _Converter(name).convert(node, 0, [])
    return Source(path, name, text, root)


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_STANDARD_TAG) :] if tag.startswith(_STANDARD_TAG) else tag


class _Converter:
    def __init__(self, name: str):
        self.name = name
        self.count = 0

    def convert(self, node: yaml.Node, depth: int, stack: list[Pos]) -> YNode:
        self.count += 1
        pos = _mark_pos(node.start_mark)
        if self.count > MAX_NODES:
            # point at the top-level value whose expansion went over the limit
            where = stack[1] if len(stack) > 1 else pos
            raise _fail(
                self.name,
                where,
                f"this value expands to more than {MAX_NODES} values (an alias bomb?); "
                "write the routine out plainly",
            )
        if depth > MAX_DEPTH:
            raise _fail(self.name, pos, f"the document is nested too deeply (more than {MAX_DEPTH} levels)")
        tag = node.tag or ""
        short = tag[len(_STANDARD_TAG) :] if tag.startswith(_STANDARD_TAG) else tag
        if short not in _ALLOWED_TAGS:
            raise _fail(self.name, pos, f"YAML tags such as {_tag_name(tag)!r} are not supported in a routine")
        if isinstance(node, yaml.ScalarNode):
            if short in ("seq", "map"):
                raise _fail(self.name, pos, f"YAML tags such as {_tag_name(tag)!r} are not supported here")
            return YScalar(
                text=node.value,
                tag=short,
                pos=pos,
                style=node.style,
                start=node.start_mark.index,
                end=node.end_mark.index,
            )
        stack = stack + [pos]
        if isinstance(node, yaml.SequenceNode):
            return YSeq(tuple(self.convert(item, depth + 1, stack) for item in node.value), pos)
        pairs = []
        for key, value in node.value:
            k = self.convert(key, depth + 1, stack)
            if not isinstance(k, YScalar):
                raise _fail(self.name, k.pos, "a key must be a plain word, not a list or mapping")
            if k.tag == "merge":
                raise _fail(self.name, k.pos, "YAML merge keys ('<<') are not supported in a routine")
            pairs.append((k, self.convert(value, depth + 1, stack)))
        return YMap(tuple(pairs), pos)
