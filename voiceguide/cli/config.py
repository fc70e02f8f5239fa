"""The user's config file: TOML in the platform's config folder, read into validated values and
presets, and changed one key at a time by `voiceguide config set` (atomically)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..routine.settings import CHOOSABLE, parse_value


@dataclass(frozen=True)
class Config:
    path: Path
    values: dict
    presets: dict


def config_path() -> Path:
    env = os.environ.get("VOICEGUIDE_CONFIG_DIR")
    if env:
        return Path(env) / "config.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir("voiceguide", appauthor=False)) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The user's config file (TOML); a missing file is an empty config. Problems name the file and line."""
    import tomllib

    from ..errors import VoiceguideError

    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config(path, {}, {})
    except (OSError, UnicodeDecodeError) as exc:
        raise VoiceguideError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{m.group(1)}:{m.group(2)}" if m else "1:1"
        raise VoiceguideError(f"{path}:{where}: invalid TOML: {str(exc).split(' (at line')[0]}") from None
    values: dict = {}
    presets: dict = {}
    problems = []

    def read(table: dict, where: str) -> dict:
        out = {}
        for key, value in table.items():
            if key == "presets" and where == "":
                continue
            try:
                out[key] = parse_value(key, value, path.parent)
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}{key}: {exc}")
        return out

    values = read(data, "")
    raw_presets = data.get("presets", {})
    if not isinstance(raw_presets, dict):
        problems.append("presets must be tables such as [presets.evening]")
        raw_presets = {}
    for name, table in raw_presets.items():
        if not isinstance(table, dict):
            problems.append(f"presets.{name} must be a table: [presets.{name}]")
            continue
        presets[name] = read(table, f"presets.{name}.")
    if problems:
        raise VoiceguideError(f"{path}: " + "; ".join(problems))
    return Config(path, values, presets)


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:g}" if isinstance(value, float) else str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def set_config_value(key: str, value: str, path: Path | None = None) -> Path:
    """`voiceguide config set KEY VALUE` (KEY may be `presets.NAME.KEY`): validate, then write atomically."""
    import tomllib

    from ..errors import VoiceguideError
    from ..fsutil import atomic_write_text

    path = path or config_path()
    load_config(path)  # refuse to rewrite a broken file
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "presets":
        table, name = f"presets.{parts[1]}", parts[2]
    elif len(parts) == 1:
        table, name = "", key
    else:
        raise VoiceguideError(f"{key!r}: write a setting ({', '.join(CHOOSABLE)}) or presets.NAME.SETTING")
    try:
        parse_value(name, value, path.parent)
    except ValueError as exc:
        raise VoiceguideError(f"{key}: {exc}") from None
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    target = data
    if table:
        target = data.setdefault("presets", {}).setdefault(parts[1], {})
    number = name in ("pace", "hold_scale", "rate", "listen_sensitivity") and re.fullmatch(r"\d+(\.\d+)?", value.strip())
    target[name] = float(value) if number else value
    lines = ["# voiceguide settings: voiceguide config shows them, voiceguide config set KEY VALUE changes them."]
    for k, v in data.items():
        if k != "presets":
            lines.append(f"{k} = {_toml_value(v)}")
    for pname, ptable in data.get("presets", {}).items():
        lines.append("")
        lines.append(f"[presets.{pname}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in ptable.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path
