"""What a routine writes, as a person would read it aloud: ranges, units and a few abbreviations.

People write "Hold for 20-30 s" or "roll 2-3x"; espeak-ng, whose phonemes every engine here speaks
(Piper's and Kokoro's too), reads those as "twenty dash thirty ess" and "two dash three ex" (checked
on espeak-ng's en-us phonemes). A guide says "twenty to thirty seconds" and "two to three times".
`as_spoken` rewrites those forms in the routine's language before the text reaches an engine; the
numbers stay digits, which each engine reads in its voice's language. The transcript and the
screen keep what the routine wrote; the clip cache keys on what is spoken.

Only forms with one reading are touched: a number with a unit of time or length right after it,
a range of numbers, a count of repetitions ("3x", "x3"), a breathing pattern ("4-7-8"), and in
English "e.g.", "i.e.", "approx.", "etc.". Text in square brackets (a routine's own markers) is left
as it is.
"""

from __future__ import annotations

import re

# by base language: (range word, repetitions word, {unit: (singular, plural)})
WORDS = {
    "en": ("to", "times", {"s": ("second", "seconds"), "min": ("minute", "minutes"), "h": ("hour", "hours"),
                           "cm": ("centimetre", "centimetres"), "mm": ("millimetre", "millimetres"),
                           "kg": ("kilogram", "kilograms")}),
    "de": ("bis", "mal", {"s": ("Sekunde", "Sekunden"), "min": ("Minute", "Minuten"), "h": ("Stunde", "Stunden"),
                          "cm": ("Zentimeter", "Zentimeter"), "mm": ("Millimeter", "Millimeter"), "kg": ("Kilo", "Kilo")}),
    "fr": ("à", "fois", {"s": ("seconde", "secondes"), "min": ("minute", "minutes"), "h": ("heure", "heures"),
                         "cm": ("centimètre", "centimètres"), "mm": ("millimètre", "millimètres"),
                         "kg": ("kilo", "kilos")}),
    "es": ("a", "veces", {"s": ("segundo", "segundos"), "min": ("minuto", "minutos"), "h": ("hora", "horas"),
                          "cm": ("centímetro", "centímetros"), "mm": ("milímetro", "milímetros"), "kg": ("kilo", "kilos")}),
    "it": ("a", "volte", {"s": ("secondo", "secondi"), "min": ("minuto", "minuti"), "h": ("ora", "ore"),
                          "cm": ("centimetro", "centimetri"), "mm": ("millimetro", "millimetri"), "kg": ("chilo", "chili")}),
    "nl": ("tot", "keer", {"s": ("seconde", "seconden"), "min": ("minuut", "minuten"), "h": ("uur", "uur"),
                           "cm": ("centimeter", "centimeter"), "mm": ("millimeter", "millimeter"), "kg": ("kilo", "kilo")}),
    "pt": ("a", "vezes", {"s": ("segundo", "segundos"), "min": ("minuto", "minutos"), "h": ("hora", "horas"),
                          "cm": ("centímetro", "centímetros"), "mm": ("milímetro", "milímetros"), "kg": ("quilo", "quilos")}),
}
UNIT_SPELLINGS = {"s": "s", "sec": "s", "secs": "s", "min": "min", "mins": "min", "h": "h", "hr": "h", "hrs": "h",
                  "cm": "cm", "mm": "mm", "kg": "kg"}
ENGLISH_ABBREVIATIONS = (("e.g.", "for example"), ("i.e.", "that is"), ("approx.", "about"), ("etc.", "and so on"))

NUMBER = r"\d+(?:[.,]\d+)?"
UNIT = "|".join(sorted(UNIT_SPELLINGS, key=len, reverse=True))
DASH = r"\s*[-–]\s*"
_BRACKETED = re.compile(r"(\[[^\]]*\])")
_PATTERN = re.compile(rf"\b(\d+){DASH}(\d+){DASH}(\d+)\b")  # 4-7-8
_RANGE_UNIT = re.compile(rf"\b({NUMBER}){DASH}({NUMBER})\s*({UNIT})(?![\w])", re.IGNORECASE)
_ONE_UNIT = re.compile(rf"(\b(?:an?|one)\s+)?\b({NUMBER})\s*({UNIT})(?![\w])", re.IGNORECASE)
_RANGE = re.compile(rf"\b({NUMBER}){DASH}({NUMBER})\b")
_TIMES_AFTER = re.compile(r"\b(\d+)\s*[x×](?![\w])", re.IGNORECASE)
_TIMES_BEFORE = re.compile(r"(?<![\w])[x×]\s*(\d+)\b", re.IGNORECASE)


def _words(language: str) -> tuple[str, str, dict]:
    return WORDS.get((language or "en").lower().replace("_", "-").split("-")[0], WORDS["en"])


def _unit(amount: str, unit: str, units: dict) -> str:
    singular, plural = units[UNIT_SPELLINGS[unit.lower()]]
    return singular if amount in ("1", "1.0", "1,0") else plural


def _expanded(match: re.Match, long: str) -> str:
    """An abbreviation written out, capitalised as written; its full stop kept where it also ended
    the sentence (the text ends, or a capital follows)."""
    out = long.capitalize() if match[0][0].isupper() else long
    rest = match.string[match.end():]
    return out + "." if not rest.strip() or re.match(r"\s+[A-Z]", rest) else out


def _plain(text: str, language: str) -> str:
    to, times, units = _words(language)
    english = units is WORDS["en"][2]
    text = _PATTERN.sub(r"\1 \2 \3", text)
    text = _RANGE_UNIT.sub(lambda m: f"{m[1]} {to} {m[2]} {_unit(m[2], m[3], units)}", text)
    # "a 10 cm ball": before a noun English says the unit in the singular (a ten-centimetre ball)
    text = _ONE_UNIT.sub(lambda m: f"{m[1] or ''}{m[2]} {_unit('1' if m[1] and english else m[2], m[3], units)}", text)
    text = _RANGE.sub(rf"\1 {to} \2", text)
    text = _TIMES_AFTER.sub(rf"\1 {times}", text)
    text = _TIMES_BEFORE.sub(rf"\1 {times}", text)
    if english:
        for short, long in ENGLISH_ABBREVIATIONS:
            text = re.sub(rf"(?<![\w.]){re.escape(short)}", lambda m: _expanded(m, long), text, flags=re.IGNORECASE)
    return text


def as_spoken(text: str, language: str = "en") -> str:
    """`text` as the engine should be given it (see the module's docstring); unchanged when it has
    none of those forms."""
    if not any(c.isdigit() for c in text) and "." not in text:
        return text
    return "".join(part if _BRACKETED.fullmatch(part) else _plain(part, language) for part in _BRACKETED.split(text))
