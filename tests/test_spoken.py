"""Ranges, units and abbreviations read out as a person says them (voice/spoken.py), checked as text
and on espeak-ng's own phonemes, the ones every engine here speaks."""

import shutil
import subprocess

import pytest

from voiceguide.voice import ClipCache, Voice, get_engine
from voiceguide.voice.spoken import as_spoken


@pytest.mark.parametrize("written, language, spoken", [
    ("Hold for 20-30 s.", "en", "Hold for 20 to 30 seconds."),
    ("Hold for 20–30 secs, then rest.", "en-gb", "Hold for 20 to 30 seconds, then rest."),
    ("Hold 30s each side.", "en", "Hold 30 seconds each side."),
    ("Rest 1 min.", "en-us", "Rest 1 minute."),
    ("Rest 1.5 min.", "en", "Rest 1.5 minutes."),
    ("Roll 2-3 times.", "en", "Roll 2 to 3 times."),
    ("Do it 2x, then x3.", "en", "Do it 2 times, then 3 times."),
    ("Try 4-7-8 breathing.", "en", "Try 4 7 8 breathing."),
    ("Use a 10 cm ball, approx. 5 min. E.g. a tennis ball, i.e. firm, etc.", "en",
     "Use a 10 centimetre ball, about 5 minutes. For example a tennis ball, that is firm, and so on."),
    ("Halte 20-30 s, 2x.", "de", "Halte 20 bis 30 Sekunden, 2 mal."),
    ("Tenez 1 min, puis 45 s.", "fr", "Tenez 1 minute, puis 45 secondes."),
    ("Mantén 20-30 s a 10 cm.", "es", "Mantén 20 a 30 segundos a 10 centímetros."),
    ("Tieni 2 min.", "it", "Tieni 2 minuti."),
    ("Houd 20-30 s vast.", "nl", "Houd 20 tot 30 seconden vast."),
    ("Segure 3x.", "pt-br", "Segure 3 vezes."),
])
def test_written_forms_read_out(written, language, spoken):
    assert as_spoken(written, language) == spoken


@pytest.mark.parametrize("text", [
    "Sit tall, and let your shoulders drop.",
    "Breathe in for 4, out for 6.",
    "Slowly. [pause 2s] Again, 20-30 s. [pause 1.5s]",
    "Box 3x3 and the year 2026.",
])
def test_what_has_one_reading_or_a_marker_is_left(text):
    out = as_spoken(text)
    assert "[pause 2s]" in out and "[pause 1.5s]" in out if "[" in text else out == text


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_espeak_no_longer_says_dash_or_ess():
    def phonemes(text: str) -> str:
        return subprocess.run(["espeak-ng", "-q", "-x", "--ipa", "-v", "en-us", text], capture_output=True,
                              text=True, check=True).stdout

    before, after = phonemes("Hold for 20-30 s."), phonemes(as_spoken("Hold for 20-30 s."))
    assert "dˈæʃ" in before and "dˈæʃ" not in after and "sˈɛkəndz" in after, (before, after)


def test_a_clip_keys_on_what_is_spoken(tmp_path):
    voice = Voice(get_engine("espeak"), "en-us", 150, ClipCache(tmp_path), language="en")
    assert voice.key("Hold for 20-30 s.") == voice.key("Hold for 20 to 30 seconds.")
    assert voice.key("Hold for 20-30 s.") != voice.key("Hold for 20-30 s!")
    german = Voice(get_engine("espeak"), "de", 150, ClipCache(tmp_path), language="de")
    assert german.key("Halte 20-30 s.") == german.key("Halte 20 bis 30 Sekunden.")
