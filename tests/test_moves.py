"""A lint of the library of moves (`voiceguide/compose/moves/`).

A composer will trust every move blindly: that its step is a valid routine step at any length of
its range, that its hold comes from a seed article, that it carries the warnings its seed gives,
and that the library has enough moves for every area, position and equipment to build a session.
These tests hold the library to that, with the real loader, planner and CLI.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from voiceguide.compose.library import (
    AREA_GROUPS,
    AREAS,
    EQUIPMENT,
    KINDS,
    LEVELS,
    MOVES_DIR,
    PHASES,
    POSITIONS,
    MoveError,
    load_moves,
    read_move,
)
from voiceguide.plan.planner import plan
from voiceguide.routine import parse_routine
from voiceguide.routine.settings import resolve
from testsupport.cli import voiceguide

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT.parent / "shared" / "seeds"
MOVES = load_moves()
BY_ID = {m.id: m for m in MOVES}
MASSAGE = frozenset({"rolling", "trigger-point"})
ANY = None

SEEDS = {
    "000_dc5a26a5edf02ee8": "How to massage hips (by hand, positions per muscle)",
    "001_9c3bfa2b31ad45a9": "Massaging the hips to relax the pelvis (ball, hip flexors, partner)",
    "002_0b308681bd9d4cd1": "Glute self-massage (roller, ball on wall and floor, hands)",
    "003_e1caf2ccc5c3d3ae": "Massage for hip pain (calves, hamstrings, quads, rotators, psoas, low back)",
    "004_65e5c05bcfd8cbfe": "Glute stretches (face-down, wall, seated twist)",
}

# The hold numbers each seed states, as (unit, low, high, kinds it was stated for, its words in the seed).
SEED_HOLDS = {
    "001_9c3bfa2b31ad45a9": [
        ("seconds", 30, 90, {"trigger-point"}, "30 to 90 seconds"),
        ("seconds", 45, 75, {"trigger-point", "rolling"}, "45 to 75 seconds"),
    ],
    "002_0b308681bd9d4cd1": [
        ("seconds", 20, 30, MASSAGE, "20-30 seconds"),
        ("seconds", 60, 180, {"rolling"}, "a few minutes on each side"),
    ],
    "004_65e5c05bcfd8cbfe": [
        ("breaths", 5, 6, ANY, "five to six deep breaths"),
    ],
}

# Breathing moves hold no number a seed gives: 001 asks for "deep, slow diaphragmatic breathing" without a
# count, and 004 counts five to six breaths only for holding a stretch. Their range is ours: from one
# breath (settling into a five-minute session) up to 004's six (an hour has time for them).
BREATHING_HOLD = ("breaths", 1, 6)

# A topic is present when every one of its patterns occurs in the move's safety notes.
TOPICS = {
    "stop": (r"\bstop\b",),
    "sharp pain": (r"\bsharp\b",),
    "numbness or tingling": (r"numbness", r"tingling"),
    "bones": (r"hip bone", r"tailbone", r"spine"),
    "breath holding": (r"holding your breath",),
    "injury or bruise": (r"injury", r"bruise"),
    "pregnancy and clots": (r"pregnant", r"blood clot"),
    "ask a professional": (r"doctor|physiotherapist|clinician|health professional",),
    "gentle start": (r"\bgently\b|\bgentle\b",),
    "sensitive front of the hip": (r"sensitive", r"lighter pressure", r"slowly", r"belly"),
    "sciatic nerve": (r"sciatic nerve",),
    "sit bone": (r"sit bone", r"hamstring tears"),
    "lower back support": (r"support your lower back",),
}


def _front_of_hip(move) -> bool:
    """Moves pressing where the seeds place the sensitive hip flexors: the front of the pelvis."""
    front = re.search(r"front of (the|your \{side\}) (hip|pelvis)\b(?! bone)", move.step["say"])
    return "hip-flexors" in move.areas and front is not None


# (seed, kinds it applies to, which moves, topics): what each seed warns about, for the moves citing it.
SAFETY_RULES = [
    ("000_dc5a26a5edf02ee8", ANY, ANY, ["ask a professional", "stop"]),
    ("000_dc5a26a5edf02ee8", MASSAGE, ANY, ["gentle start"]),
    ("001_9c3bfa2b31ad45a9", MASSAGE, ANY, ["sharp pain", "injury or bruise", "pregnancy and clots"]),
    ("001_9c3bfa2b31ad45a9", MASSAGE, _front_of_hip, ["sensitive front of the hip"]),
    ("002_0b308681bd9d4cd1", ANY, ANY, ["stop", "sharp pain", "numbness or tingling"]),
    ("002_0b308681bd9d4cd1", MASSAGE, ANY, ["bones", "breath holding"]),
    ("003_e1caf2ccc5c3d3ae", MASSAGE, _front_of_hip, ["sensitive front of the hip"]),
    ("003_e1caf2ccc5c3d3ae", ANY, lambda m: "piriformis" in m.areas and m.kind in MASSAGE, ["sciatic nerve"]),
    ("003_e1caf2ccc5c3d3ae", MASSAGE, lambda m: "hamstrings" in m.areas, ["sit bone"]),
    ("003_e1caf2ccc5c3d3ae", {"stretch"}, lambda m: "hip-flexors" in m.areas, ["lower back support"]),
    ("004_65e5c05bcfd8cbfe", {"stretch"}, ANY, ["stop", "ask a professional"]),
    ("004_65e5c05bcfd8cbfe", {"rolling"}, ANY, ["gentle start"]),
]

NUMBER_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten|a few|several"

ids = pytest.mark.parametrize("move", MOVES, ids=[m.id for m in MOVES])


def routine_text(move, step=None) -> str:
    """The smallest routine holding the move: its title, its safety notes and its step."""
    doc = {"title": move.title}
    if move.safety:
        doc["safety"] = list(move.safety)
    doc["steps"] = [step if step is not None else dict(move.step)]
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def planned(text: str, folder: Path):
    routine = parse_routine(text, path=folder / "move.yaml", name="move.yaml")
    return plan(routine, resolve(routine))


def narration(move) -> list[str]:
    step = move.step
    texts = [step.get("title", ""), step["say"], step.get("brief", "")]
    return texts + [c["say"] for c in step.get("cues", []) if "say" in c]


# ------------------------------------------------------------------ the files


def test_the_library_has_enough_moves():
    assert len(MOVES) >= 30
    assert len(list(MOVES_DIR.glob("*.yaml"))) == len(MOVES)


def test_ids_are_unique_and_name_their_files():
    assert len({m.id for m in MOVES}) == len(MOVES)
    for m in MOVES:
        assert m.path.name == f"{m.id}.yaml"


@ids
def test_every_field_is_in_the_vocabulary(move):
    assert move.areas and set(move.areas) <= set(AREAS)
    assert not set(move.areas) & set(AREA_GROUPS)
    assert move.position in POSITIONS
    assert move.equipment and set(move.equipment) <= set(EQUIPMENT)
    assert move.kind in KINDS
    assert move.level in LEVELS
    assert move.phases and set(move.phases) <= set(PHASES)
    assert set(move.seeds) <= set(SEEDS)
    assert (move.kind == "breathing") == (move.areas == ("breathing",))


@ids
def test_sides_come_from_the_step(move):
    if "sides" in move.step:
        assert move.sides == tuple(move.step["sides"])
        assert all("{side}" in t for t in (move.step["say"], move.step["brief"]))
    else:
        assert move.sides is False
        assert not any("{side}" in t or "{other}" in t for t in narration(move))


@ids
def test_narration_never_states_a_number(move):
    """The composer changes the hold; words such as "thirty seconds" would then be wrong."""
    for text in narration(move):
        assert not re.search(r"\d", text), text
        assert not re.search(r"\b(seconds?|minutes?)\b", text), text
        assert not re.search(rf"\b({NUMBER_WORDS})\s+(\w+\s+)?breaths?\b", text, re.IGNORECASE), text


def test_levels_are_mostly_beginner():
    levels = Counter(m.level for m in MOVES)
    assert levels["intermediate"] >= 5
    assert levels["beginner"] > 3 * levels["intermediate"]


# ------------------------------------------------------------------ every step passes check


def test_every_move_passes_check_on_its_own(tmp_path):
    files = []
    for m in MOVES:
        path = tmp_path / f"{m.id}.yaml"
        path.write_text(routine_text(m), encoding="utf-8")
        files.append(path)
    result = voiceguide("check", "--estimate", *map(str, files), timeout=300)
    assert result.returncode == 0, result.stderr
    ok = [line for line in result.stdout.splitlines() if ": ok: " in line]
    assert len(ok) == len(MOVES)
    assert result.stdout.count("  safety: ") == sum(len(m.safety) for m in MOVES)


@ids
def test_the_step_plans_at_both_ends_of_its_range(move, tmp_path):
    """The composer writes any amount of the range into the step; the cues must fit at the shortest."""
    lengths = []
    for amount in (move.hold.low, move.hold.high):
        timeline = planned(routine_text(move, move.step_with(amount)), tmp_path)
        holds = [e for e in timeline.events if e.kind == "hold"]
        assert len(holds) == (2 if move.sides else 1)
        if move.hold.unit == "seconds":
            assert all(e.end - e.start == pytest.approx(amount, abs=0.01) for e in holds)
        lengths.append(timeline.duration)
    assert lengths[0] < lengths[1]


def test_step_with_substitutes_only_the_hold():
    move = BY_ID["ball-glute-floor"]
    step = move.step_with(45)
    assert step["for"] == "45s"
    assert {k: v for k, v in step.items() if k != "for"} == {k: v for k, v in move.step.items() if k != "for"}
    assert move.step["for"] == "30-90s"
    with pytest.raises(MoveError, match="outside the move's range 30-90"):
        move.step_with(120)
    assert BY_ID["figure-four-supine"].step_with(6)["breaths"] == 6
    with pytest.raises(MoveError, match="whole number of breaths"):
        BY_ID["figure-four-supine"].step_with(5.5)


# ------------------------------------------------------------------ facts from the seeds


@ids
def test_the_hold_lies_within_a_number_its_seeds_give(move):
    if move.kind == "breathing":
        unit, low, high = BREATHING_HOLD
        assert move.hold.unit == unit and low <= move.hold.low and move.hold.high <= high, move.hold
        return
    fitting = [
        words
        for seed in move.seeds
        for unit, low, high, kinds, words in SEED_HOLDS.get(seed, [])
        if unit == move.hold.unit and low <= move.hold.low and move.hold.high <= high
        and (kinds is ANY or move.kind in kinds)
    ]
    assert fitting, f"{move.id}: {move.hold} is not inside any hold its seeds {move.seeds} give"


def test_the_hold_table_quotes_the_seeds():
    if not SEEDS_DIR.is_dir():
        pytest.skip(f"the seed articles are not at {SEEDS_DIR}")
    for seed, holds in SEED_HOLDS.items():
        text = " ".join((SEEDS_DIR / f"{seed}.txt").read_text(encoding="utf-8").split()).lower()
        for *_, words in holds:
            assert words.lower() in text, f"{seed} does not say {words!r}"
    for seed in SEEDS:
        assert (SEEDS_DIR / f"{seed}.txt").is_file()


@ids
def test_the_move_carries_its_seeds_warnings(move):
    notes = " ".join(move.safety).lower()
    missing = []
    for seed, kinds, which, topics in SAFETY_RULES:
        if seed not in move.seeds or (kinds is not ANY and move.kind not in kinds):
            continue
        if which is not ANY and not which(move):
            continue
        for topic in topics:
            if not all(re.search(p, notes) for p in TOPICS[topic]):
                missing.append(f"{topic} (from {seed})")
    assert not missing, f"{move.id} lacks: {', '.join(missing)}"


def test_every_seed_is_used():
    cited = Counter(seed for m in MOVES for seed in m.seeds)
    assert set(cited) == set(SEEDS)


def test_safety_notes_are_shared_sentences():
    """Composers drop duplicate notes by their text, so one warning is one sentence everywhere."""
    notes = {note for m in MOVES for note in m.safety}
    assert len(notes) <= 20
    for topic in ("bones", "pregnancy and clots", "sciatic nerve"):
        holding = {n for n in notes if all(re.search(p, n.lower()) for p in TOPICS[topic])}
        assert len(holding) == 1, (topic, holding)


# ------------------------------------------------------------------ coverage for a composer


def test_every_area_has_at_least_two_moves_and_one_without_equipment():
    for area in AREAS:
        moves = [m for m in MOVES if area in m.areas]
        assert len(moves) >= 2, area
        assert any(m.equipment == ("none",) for m in moves), area


def test_every_vocabulary_word_is_used():
    assert {m.position for m in MOVES} == set(POSITIONS)
    assert {e for m in MOVES for e in m.equipment} == set(EQUIPMENT)
    assert {m.kind for m in MOVES} == set(KINDS)
    assert {p for m in MOVES for p in m.phases} == set(PHASES)


def test_breathing_moves_open_and_close_a_session():
    breathing = [m for m in MOVES if m.kind == "breathing"]
    assert [m for m in breathing if "opening" in m.phases and m.fits(())]
    assert [m for m in breathing if "closing" in m.phases and m.fits(())]
    assert all(m.phases != ("main",) for m in breathing)


def test_a_beginner_floor_session_has_room_beyond_ninety_minutes(tmp_path):
    """Every beginner move that needs nothing, once each, at the top of its range, at the default pace:
    the default request (the floor alone, beginner) must reach 90 minutes with room to spare."""
    floor = [m for m in MOVES if m.fits(()) and m.level == "beginner"]
    steps = [m.step_with(m.hold.high) for m in floor]
    text = yaml.safe_dump({"title": "Floor only", "steps": steps}, sort_keys=False, width=100)
    assert planned(text, tmp_path).duration >= 100 * 60


def test_each_tool_has_moves_for_several_areas():
    for tool in ("roller", "ball"):
        areas = {a for m in MOVES if tool in m.equipment for a in m.areas}
        assert len(areas) >= 5, (tool, areas)


# ------------------------------------------------------------------ a broken move file


GOOD = yaml.safe_load((MOVES_DIR / "ball-glute-floor.yaml").read_text(encoding="utf-8"))


def write_move(tmp_path: Path, name: str = "ball-glute-floor", **changes) -> Path:
    data = dict(GOOD, **changes)
    for key in [k for k, v in changes.items() if v is None]:
        del data[key]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"areas": ["glute"]}, r"`areas` holds 'glute'; known: glutes, .*hips"),
        ({"position": "lying"}, r"`position` is 'lying'; known: standing"),
        ({"equipment": ["none", "ball"]}, r"`equipment` lists `none` together with equipment"),
        ({"kind": "massage"}, r"`kind` is 'massage'"),
        ({"step": dict(GOOD["step"], **{"for": "45s"})}, r"`step.for` is '45s'; a move's hold is a range"),
        ({"step": dict(GOOD["step"], breaths="5-6")}, r"`step` needs exactly one of `for`"),
        ({"safety": []}, r"`safety` is empty"),
        ({"seeds": ["seed-one"]}, r"`seeds` must list seed article names"),
        ({"level": None}, r"misses `level`"),
        ({"colour": "red"}, r"has unknown keys `colour`"),
    ],
)
def test_a_bad_move_file_gets_a_clear_message(tmp_path, changes, message):
    path = write_move(tmp_path, **changes)
    with pytest.raises(MoveError, match=r"^move file ball-glute-floor\.yaml: " + message):
        read_move(path)


def test_an_id_that_differs_from_the_file_name_is_refused(tmp_path):
    with pytest.raises(MoveError, match="the file is named other-name.yaml"):
        read_move(write_move(tmp_path, name="other-name"))


def test_broken_yaml_is_a_move_error(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("id: [broken\n", encoding="utf-8")
    with pytest.raises(MoveError, match="broken.yaml: is not valid YAML"):
        read_move(path)


def test_hips_is_read_as_its_three_areas(tmp_path):
    move = read_move(write_move(tmp_path, areas=["hips", "glutes"]))
    assert move.areas == AREA_GROUPS["hips"]
