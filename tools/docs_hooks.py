"""MkDocs hooks (mkdocs.yml `hooks:`): generate the parts of the docs that must not drift, and check
the pictures.

A page asks for a generated part with a marker on a line of its own:

    <!-- generated: commands -->   every command and option, walked from the Typer/Click app itself
    <!-- generated: schema -->     the routine format's fields, from the schema the package ships (voiceguide schema)
    <!-- generated: settings -->   the configuration keys and their defaults, as `voiceguide config` prints them

The app is imported through `voiceguide.cli`'s public names only (`app`), and the settings come from
running the command, so moving modules inside the package does not break the build. Every picture
that tools/docs_pictures.py makes must exist, or the build fails (strict or not).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARKER = re.compile(r"^<!-- generated: ([a-z]+) -->$", re.M)


def _pictures() -> tuple[str, ...]:
    """The list of pictures, read from tools/docs_pictures.py without importing what it needs."""
    text = (ROOT / "tools" / "docs_pictures.py").read_text(encoding="utf-8")
    m = re.search(r"^PICTURES = (\(.*?\))$", text, re.M | re.S)
    return tuple(eval(m.group(1), {}))  # a literal tuple of names  # noqa: S307


# ------------------------------------------------------------------ the hooks


def on_pre_build(config, **kwargs):
    from mkdocs.exceptions import PluginError

    folder = Path(config["docs_dir"]) / "pictures"
    missing = [name for name in _pictures() if not (folder / name).is_file()]
    if missing:
        raise PluginError(f"docs/pictures/ is missing {', '.join(missing)}: run python tools/docs_pictures.py")


def on_page_markdown(markdown: str, page, config, files, **kwargs):
    def replace(m: re.Match) -> str:
        kind = m.group(1)
        if kind not in GENERATORS:
            from mkdocs.exceptions import PluginError

            raise PluginError(f"{page.file.src_path}: unknown generated part {kind!r}")
        return GENERATORS[kind]()

    return MARKER.sub(replace, markdown)


# ------------------------------------------------------------------ every command and option


def commands_markdown() -> str:
    import typer

    from voiceguide.cli import app

    # typer may carry its own copy of click, so commands are told apart by what they have, not by class
    root = typer.main.get_command(app)
    out: list[str] = []
    root_ctx = root.context_class(root, info_name="voiceguide")
    out += _command_section(root, root_ctx, "voiceguide", level=2)
    for name, cmd in root.commands.items():
        out += _walk(cmd, cmd.context_class(cmd, info_name=name, parent=root_ctx), f"voiceguide {name}")
    return "\n".join(out) + "\n"


def _is_group(cmd) -> bool:
    return hasattr(cmd, "commands")


def _is_argument(param) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _walk(cmd, ctx, path: str) -> list[str]:
    if getattr(cmd, "hidden", False):
        return []
    out = _command_section(cmd, ctx, path, level=2 if path.count(" ") == 1 else 3)
    if _is_group(cmd):
        for name, sub in cmd.commands.items():
            out += _walk(sub, sub.context_class(sub, info_name=name, parent=ctx), f"{path} {name}")
    return out


def _argument_name(p, ctx) -> str:
    """As the command's own --help names it (its metavar), in capitals: SCRIPTS..., KEY..."""
    record = p.get_help_record(ctx)
    name = (record[0].split()[0] if record else p.name).upper()
    return name if p.nargs != -1 or name.endswith("...") else name + "..."


def _usage(cmd, ctx, path: str) -> str:
    pieces = [path, "[OPTIONS]"]
    for p in cmd.params:
        if _is_argument(p):
            name = _argument_name(p, ctx)
            pieces.append(name if p.required else f"[{name}]")
    if _is_group(cmd):
        pieces.append("[COMMAND [ARGS]...]" if getattr(cmd, "invoke_without_command", False) else "COMMAND [ARGS]...")
    return " ".join(pieces)


def _command_section(cmd, ctx, path: str, level: int) -> list[str]:
    out = [f"{'#' * level} `{path}`", "", "```text", _usage(cmd, ctx, path), "```", ""]
    help_text = (cmd.help or "").strip()
    for para in re.split(r"\n\s*\n", help_text) if help_text else ():
        out += [_escape(" ".join(para.split())), ""]
    rows = []
    for p in cmd.params:
        if getattr(p, "hidden", False):
            continue
        record = p.get_help_record(ctx)
        if record is None:
            continue
        names, text = record
        if _is_argument(p):
            names = _argument_name(p, ctx)
        rows.append((names, text))
    rows.append(("--help", "Show the command's help and exit."))
    out += ["", "| argument or option | meaning |", "|---|---|"]
    out += [f"| `{_cell(names)}` | {_escape(_cell(text))} |" for names, text in rows]
    if _is_group(cmd):
        subs = [n for n, c in cmd.commands.items() if not getattr(c, "hidden", False)]
        out += ["", "Commands: " + ", ".join(f"`{n}`" for n in subs) + "."]
    out.append("")
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _escape(text: str) -> str:
    """Help texts are plain text: keep angle brackets (metavars such as <str>) from being read as HTML."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


# ------------------------------------------------------------------ the routine format


def schema_markdown() -> str:
    """Every field of a routine and of a step, its type and what it means, from the JSON Schema."""
    from voiceguide.routine import schema as routine_schema  # the schema as the package ships it

    schema = routine_schema()
    defs = schema["$defs"]
    out = [f"Required at the top: {', '.join(f'`{k}`' for k in schema.get('required', []))}. "
           "Unknown keys are errors (with the closest known key suggested).", "",
           "### Top level", "", "| key | type | meaning |", "|---|---|---|"]
    out += _rows(schema["properties"], schema.get("required", []), defs)
    out += ["", "### A step", "",
            "A step's kind is set by the one of `for`, `breaths`, `rest`, `sound`, `wait` or `repeat` it has; "
            "with none of them it is a spoken step and needs `say`.", "",
            "| key | type | meaning |", "|---|---|---|"]
    out += _rows(defs["step"]["properties"], [], defs)
    out += ["", "### A cue (inside a step's `cues`)", "",
            "Exactly one of: `{at, say}`, `{at, sound}`, `{countdown}`, `{every, sound}`.", "",
            "| key | type | meaning |", "|---|---|---|"]
    out += _rows(defs["cue"]["properties"], [], defs)
    out += ["", "### Values", "", "| name | forms |", "|---|---|"]
    for name in ("text", "duration", "span", "pace", "breath"):
        out.append(f"| {name} | {_escape_md(defs[name].get('description', ''))} |")
    return "\n".join(out) + "\n"


def _rows(props: dict, required: list[str], defs: dict) -> list[str]:
    rows = []
    for key, spec in props.items():
        desc = spec.get("description")
        if "$ref" in spec:
            ref = spec["$ref"].split("/")[-1]
            desc = desc or defs[ref].get("description", "")
            if ref == "steps" and not desc:
                desc = f"The steps, in order (at least {defs['steps'].get('minItems', 1)}); a step is below."
        typ = _type(spec, defs)
        req = " (required)" if key in required else ""
        rows.append(f"| `{key}`{req} | {typ} | {_escape_md(desc or '')} |")
    return rows


def _type(spec: dict, defs: dict) -> str:
    if "$ref" in spec:
        return spec["$ref"].split("/")[-1]
    if "const" in spec:
        return f"`{json.dumps(spec['const'])}`"
    if "oneOf" in spec:
        return " or ".join(_type(s, defs) for s in spec["oneOf"])
    if "enum" in spec:
        return " / ".join(f"`{v}`" for v in spec["enum"])
    t = spec.get("type", "")
    bounds = []
    if "minimum" in spec:
        bounds.append(f"≥ {spec['minimum']}")
    if "exclusiveMinimum" in spec:
        bounds.append(f"> {spec['exclusiveMinimum']}")
    if "maximum" in spec:
        bounds.append(f"≤ {spec['maximum']}")
    if t == "array":
        item = _type(spec.get("items", {}), defs)
        n = ""
        if spec.get("minItems") and spec.get("minItems") == spec.get("maxItems"):
            n = f" of {spec['minItems']}"
        return f"list{n} of {item}" if item else "list"
    if t == "object":
        return "map"
    if t == "string" and "pattern" in spec and not bounds:
        return "string"
    return t + (f" ({', '.join(bounds)})" if bounds else "")


def _escape_md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("<", "&lt;")


# ------------------------------------------------------------------ configuration keys


def settings_markdown() -> str:
    """`voiceguide config` run with an empty config folder: every key and its built-in default."""
    from typer.testing import CliRunner

    from voiceguide.cli import app

    with tempfile.TemporaryDirectory(prefix="docs-config-") as tmp:
        env = {"VOICEGUIDE_CONFIG_DIR": tmp}
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            result = CliRunner().invoke(app, ["config"], catch_exceptions=False)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    if result.exit_code != 0:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"voiceguide config failed: {result.output}")
    rows = ["| key | built-in default |", "|---|---|"]
    for line in result.output.splitlines()[1:]:
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) == 3 and parts[2] == "default":
            rows.append(f"| `{parts[0]}` | {_escape_md(parts[1])} |")
    return "\n".join(rows) + "\n"


GENERATORS = {"commands": commands_markdown, "schema": schema_markdown, "settings": settings_markdown}

if __name__ == "__main__":  # print a generated part: python tools/docs_hooks.py commands
    print(GENERATORS[sys.argv[1]]())
