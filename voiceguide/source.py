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

from .errors import Diagnostic, Pos, ScriptError

MAX_BYTES = 1 << 20  # a hand-written routine is a few kilobytes
MAX_NODES = 20_000  # nodes after expanding aliases
MAX_DEPTH = 40

_STANDARD_TAG = "tag:yaml.org,2002:"


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


_HINTS = {
    "found character '\\t' that cannot start any token": "tabs cannot indent YAML; use spaces",
    "mapping values are not allowed here": "a value may not hold ': ' unquoted; put the text in quotes",
}


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    message = f"invalid YAML: {problem}"
    for known, hint in _HINTS.items():
        if problem.startswith(known):
            message += f" ({hint})"
    return message


def load(path: Path | str, name: str | None = None) -> Source:
    """Load a routine file. Raises ScriptError with a positioned message on any problem."""
    path = Path(path)
    name = name or str(path)
    text = read_text(path, name)
    return parse(text, path=path, name=name)


def parse(text: str, *, path: Path | str = "<string>", name: str | None = None) -> Source:
    path = Path(path)
    name = name or str(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _fail(name, _mark_pos(mark) if mark else Pos(), _yaml_message(exc)) from None
    except yaml.reader.ReaderError as exc:
        pos = Source(path, name, text, None).pos_at(exc.position)
        raise _fail(name, pos, f"the file holds a character YAML does not allow (#x{exc.character:04x})") from None
    except yaml.YAMLError as exc:
        raise _fail(name, Pos(), f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _fail(name, Pos(), f"the document is nested too deeply (more than {MAX_DEPTH} levels)") from None
    if node is None:
        return Source(path, name, text, None)
    root = _Converter(name).convert(node, 0)
    return Source(path, name, text, root)


class _Converter:
    def __init__(self, name: str):
        self.name = name
        self.count = 0

    def convert(self, node: yaml.Node, depth: int) -> YNode:
        self.count += 1
        pos = _mark_pos(node.start_mark)
        if self.count > MAX_NODES:
            raise _fail(
                self.name,
                pos,
                f"the document expands to more than {MAX_NODES} values (an alias bomb?); "
                "write the routine out plainly",
            )
        if depth > MAX_DEPTH:
            raise _fail(self.name, pos, f"the document is nested too deeply (more than {MAX_DEPTH} levels)")
        tag = node.tag or ""
        short = tag[len(_STANDARD_TAG) :] if tag.startswith(_STANDARD_TAG) else tag
        if isinstance(node, yaml.ScalarNode):
            if not tag.startswith(_STANDARD_TAG):
                raise _fail(self.name, pos, f"YAML tags such as {tag!r} are not supported in a routine")
            return YScalar(
                text=node.value,
                tag=short,
                pos=pos,
                style=node.style,
                start=node.start_mark.index,
                end=node.end_mark.index,
            )
        if short not in ("seq", "map"):
            raise _fail(self.name, pos, f"YAML tags such as {tag!r} are not supported in a routine")
        if isinstance(node, yaml.SequenceNode):
            return YSeq(tuple(self.convert(item, depth + 1) for item in node.value), pos)
        pairs = []
        for key, value in node.value:
            k = self.convert(key, depth + 1)
            if not isinstance(k, YScalar):
                raise _fail(self.name, k.pos, "a key must be a plain word, not a list or mapping")
            if k.tag == "merge":
                raise _fail(self.name, k.pos, "YAML merge keys ('<<') are not supported in a routine")
            pairs.append((k, self.convert(value, depth + 1)))
        return YMap(tuple(pairs), pos)
