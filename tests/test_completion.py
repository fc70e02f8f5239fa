"""Shell completion as the shells ask for it: routine names (here, yours, shipped) for SCRIPT, voices for
--voice; the scripts `--show-completion` prints; a real bash and a real fish that load the script
`--install-completion` wrote, and a real zsh that runs the completion function."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testsupport import ROOT
from testsupport.cli import voiceguide

TINY = "title: {title}\nsteps:\n  - say: Hi.\n"


@pytest.fixture
def shell_env(tmp_path):
    """A working folder with one routine, a routines folder with one, and `voiceguide` on PATH."""
    here, mine, home, bin_dir = (tmp_path / n for n in ("here", "mine", "home", "bin"))
    for folder in (here, mine, home, bin_dir):
        folder.mkdir()
    (here / "stretch-here.yaml").write_text(TINY.format(title="Here"))
    (mine / "stretch-mine.yml").write_text(TINY.format(title="Mine"))
    (here / "notes.yaml").write_text("shopping: [milk]\n")  # YAML, but no routine
    launcher = bin_dir / "voiceguide"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m voiceguide "$@"\n')
    launcher.chmod(0o755)
    env = dict(os.environ, PYTHONPATH=str(ROOT), VOICEGUIDE_ROUTINES_DIR=str(mine), HOME=str(home),
               PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    env.pop("XDG_DATA_HOME", None)
    return here, env


def complete(shell_env, shell: str, line: str, **extra) -> list[str]:
    """What voiceguide answers to a shell's completion request for the command line `line`."""
    here, env = shell_env
    env = dict(env, _VOICEGUIDE_COMPLETE=f"complete_{shell}", **extra)
    if shell == "bash":  # bash: the words and the index of the one being completed
        words = line.split(" ")
        env.update(COMP_WORDS=" ".join(words), COMP_CWORD=str(len(words) - 1))
    else:  # zsh and fish: the command line up to the cursor
        env.update(_TYPER_COMPLETE_ARGS=line)
    proc = voiceguide(cwd=here, env=env, timeout=60)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return [line for line in proc.stdout.splitlines() if line]  # bash: an empty answer is one empty line


def test_bash_completes_routine_names_from_all_three_places(shell_env):
    assert complete(shell_env, "bash", "voiceguide play gl") == ["glute-release"]
    assert complete(shell_env, "bash", "voiceguide render stretch-") == ["stretch-here", "stretch-mine"]
    names = complete(shell_env, "bash", "voiceguide check ")
    assert {"daily-five", "two-minute-reset", "stretch-here", "stretch-mine"} <= set(names)
    assert "notes" not in names
    assert complete(shell_env, "bash", "voiceguide plan daily-five") == ["daily-five"]
    assert complete(shell_env, "bash", "voiceguide config --routine two") == ["two-minute-reset"]
    assert complete(shell_env, "bash", "voiceguide check scripts/") == []  # no name: the shell completes files


def test_bash_completes_voices(shell_env):
    assert complete(shell_env, "bash", "voiceguide render daily-five --voice fe") == ["female"]
    assert complete(shell_env, "bash", "voiceguide play x --voice ma") == ["male"]
    british = complete(shell_env, "bash", "voiceguide render daily-five --voice en_GB-al")
    assert {"en_GB-alan-medium", "en_GB-alba-medium"} <= set(british)  # the catalogue's keys
    assert all(k.startswith("en_GB-al") for k in british)


def test_an_installed_piper_voice_is_completed(shell_env, tmp_path):
    voices = tmp_path / "voices"
    voices.mkdir()
    (voices / "xx_YY-tester-low.onnx").write_bytes(b"not a model: completion only reads names")
    (voices / "xx_YY-tester-low.onnx.json").write_text('{"language": {"code": "xx_YY"}, "dataset": "tester"}')
    found = complete(shell_env, "bash", "voiceguide render a --voice xx_", VOICEGUIDE_VOICES_DIR=str(voices))
    assert found == ["xx_YY-tester-low"]


def test_zsh_and_fish_get_names_with_where_they_come_from(shell_env):
    zsh = "\n".join(complete(shell_env, "zsh", "voiceguide play stretch-"))
    assert zsh.startswith("_arguments") and '"stretch-here":"here"' in zsh and '"stretch-mine":"yours"' in zsh
    assert complete(shell_env, "zsh", "voiceguide play zzz") == ["_files"]
    fish = complete(shell_env, "fish", "voiceguide render gl", _TYPER_COMPLETE_FISH_ACTION="get-args")
    assert fish == ["glute-release\tshipped"]
    assert complete(shell_env, "fish", "voiceguide render --voice fem", _TYPER_COMPLETE_FISH_ACTION="get-args") == [
        "female"
    ]


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o default -F _voiceguide_completion voiceguide"),
    ("zsh", "compdef _voiceguide_completion voiceguide"),
    ("fish", "complete --command voiceguide --no-files"),
])
def test_show_completion_prints_each_shells_script(shell_env, shell, marker):
    here, env = shell_env
    proc = subprocess.run(["voiceguide", "--show-completion", shell], cwd=here, capture_output=True, text=True,
                          env=dict(env, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1"), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout and "_VOICEGUIDE_COMPLETE=complete_" in proc.stdout


def test_help_offers_completion():
    proc = voiceguide("--help", timeout=60)
    assert "--install-completion" in proc.stdout and "--show-completion" in proc.stdout


BASH_SESSION = """
source ~/.bashrc
complete -p voiceguide
for line in "voiceguide play gl" "voiceguide render --voice fem" "voiceguide check stretch-m"; do
  read -ra COMP_WORDS <<< "$line"
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  _voiceguide_completion voiceguide "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  echo "reply: ${COMPREPLY[*]}"
done
"""


def need(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.fail(f"the completion tests run a real {shell}: apt-get install {shell} (./dev test installs it)",
                    pytrace=False)


def test_a_real_bash_sources_the_installed_script_and_completes(shell_env):
    need("bash")
    here, env = shell_env
    home = Path(env["HOME"])
    install = subprocess.run(["bash", "--norc", "--noprofile", "-c", "voiceguide --install-completion"], cwd=here,
                             env=env, capture_output=True, text=True, timeout=60)  # detects bash: its parent
    assert install.returncode == 0, install.stderr
    script = home / ".bash_completions" / "voiceguide.sh"
    assert "bash completion installed" in install.stdout and script.exists()
    assert f"source '{script}'" in (home / ".bashrc").read_text()
    session = subprocess.run(["bash", "--norc", "--noprofile", "-c", BASH_SESSION], cwd=here, env=env,
                             capture_output=True, text=True, timeout=120)
    assert session.returncode == 0, session.stderr
    lines = session.stdout.splitlines()
    assert lines[0] == "complete -o default -F _voiceguide_completion voiceguide"
    assert lines[1:] == ["reply: glute-release", "reply: female", "reply: stretch-mine"]


def test_a_real_fish_loads_the_installed_completion_and_completes(shell_env):
    need("fish")
    here, env = shell_env
    env = {k: v for k, v in env.items() if not k.startswith("XDG_")}
    install = subprocess.run(["fish", "-c", "voiceguide --install-completion"], cwd=here, env=env,
                             capture_output=True, text=True, timeout=60)  # detects fish: its parent
    assert install.returncode == 0, install.stderr
    assert (Path(env["HOME"]) / ".config" / "fish" / "completions" / "voiceguide.fish").exists()
    asked = 'complete -C"voiceguide play gl"; complete -C"voiceguide render x --voice fem"; complete -C"voiceguide check stretch-"'
    session = subprocess.run(["fish", "-c", asked], cwd=here, env=env, capture_output=True, text=True, timeout=120)
    assert session.returncode == 0, session.stderr
    assert session.stdout.splitlines() == ["glute-release\tshipped", "female", "stretch-here\there", "stretch-mine\tyours"]


ZSH_SESSION = """
compdef() { print -r -- "compdef $*"; }
source <(voiceguide --show-completion zsh)
_arguments() { print -r -- "_arguments $*"; }  # zsh's completion system, told what to offer
_files() { print -r -- "_files"; }
words=(voiceguide play gl); CURRENT=3; _voiceguide_completion
words=(voiceguide render x --voice fem); CURRENT=5; _voiceguide_completion
words=(voiceguide play scripts/); CURRENT=3; _voiceguide_completion
"""


def test_a_real_zsh_runs_the_completion_function(shell_env):
    """zsh itself runs the script's function and evaluates voiceguide's answer; only the completion
    system's two entry points are stood in for, to print what zsh would be told to offer."""
    need("zsh")
    here, env = shell_env
    session = subprocess.run(["zsh", "-f", "-c", ZSH_SESSION], cwd=here, capture_output=True, text=True, timeout=120,
                             env=dict(env, _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1"))
    assert session.returncode == 0, session.stderr
    assert session.stdout.splitlines() == [
        "compdef _voiceguide_completion voiceguide",
        '_arguments *: :(("glute-release":"shipped"))',
        '_arguments *: :(("female"))',
        "_files",
    ]
