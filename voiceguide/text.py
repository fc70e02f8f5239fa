"""Narration text: placeholders, `[pause 2s]`, durations, and numbers in words."""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDERS = ("side", "other", "round", "rounds", "duration", "breaths", "next")

# ---------------------------------------------------------------- durations

_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}
_NUM = r"\d+(?:\.\d+)?"
_DURATION_RE = re.compile(rf"^(?:({_NUM})h)?(?:({_NUM})m)?(?:({_NUM})s?)?$")
_BARE_RE = re.compile(rf"^{_NUM}$")
_UNIT_RE = re.compile(rf"({_NUM})([hms]?)")


def parse_duration(text: str) -> float | None:
    """`45`, `45s`, `2m`, `1m30s`, `1h`, `2.5s` -> seconds; None when it is not a duration."""
    s = text.strip().lower().replace(" ", "")
    if not s:
        return None
    m = _DURATION_RE.match(s)
    if not m or not any(m.groups()):
        return None
    # "1m30" means 1m30s; a lone number is seconds.
    h, mi, se = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + se


def parse_range(text: str) -> tuple[float, float] | None:
    """`20-30s`, `1m-1m30s`, `20s-30s` -> (low, high) in seconds; None when it is not a range.

    A bare number on one side takes the unit of the other (`20-30s` is 20s to 30s,
    `1-2m` is 1m to 2m)."""
    s = text.strip().lower().replace(" ", "")
    if s.count("-") != 1 or s.startswith("-"):
        return None
    a, b = s.split("-")
    if not a or not b:
        return None
    units = [m.group(2) for m in _UNIT_RE.finditer(b)]
    if _BARE_RE.match(a) and units and units[-1]:
        a = a + units[-1] if len(units) == 1 else a + "s"
    if _BARE_RE.match(b):
        ua = [m.group(2) for m in _UNIT_RE.finditer(a)]
        if ua and ua[-1]:
            b = b + ua[-1]
    lo, hi = parse_duration(a), parse_duration(b)
    if lo is None or hi is None:
        return None
    return lo, hi


def countdown_clock(seconds: int) -> str:
    """Whole seconds as a countdown reads (the floor view and the phone remote): '0:15', '2:05', '1:02:05'."""
    h, rest = divmod(max(0, seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def timestamp(seconds: float, separator: str = ".") -> str:
    """A media timestamp to the millisecond: '00:01:02.500' (WebVTT, chapters), '00:01:02,500' (SubRip)."""
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{separator}{ms:03d}"


def format_clock(seconds: float) -> str:
    """12.3 -> '0:12.3', 3725 -> '1:02:05.0'."""
    tenths = int(round(seconds * 10))
    s, t = divmod(tenths, 10)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}.{t}" if h else f"{m}:{s:02d}.{t}"


def format_length(seconds: float) -> str:
    """A short human length: '45s', '12m 30s', '1h 05m'."""
    s = int(seconds + 0.5)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


# ---------------------------------------------------------------- numbers in words

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """English words for 0..999999; digits beyond that."""
    if n < 0 or n > 999_999:
        return str(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + (" and " + number_words(rest) if rest else "")
    thousands, rest = divmod(n, 1000)
    glue = " and " if rest and rest < 100 else " "
    return number_words(thousands) + " thousand" + (glue + number_words(rest) if rest else "")


# Unit words (singular, plural) and "and" for the languages we speak natively; numbers themselves are
# written as digits there, which the speech engine reads in the voice's own language.
UNITS = {
    "de": {"hour": ("Stunde", "Stunden"), "minute": ("Minute", "Minuten"), "second": ("Sekunde", "Sekunden"), "and": "und"},
    "fr": {"hour": ("heure", "heures"), "minute": ("minute", "minutes"), "second": ("seconde", "secondes"), "and": "et"},
    "es": {"hour": ("hora", "horas"), "minute": ("minuto", "minutos"), "second": ("segundo", "segundos"), "and": "y"},
    "it": {"hour": ("ora", "ore"), "minute": ("minuto", "minuti"), "second": ("secondo", "secondi"), "and": "e"},
    "nl": {"hour": ("uur", "uur"), "minute": ("minuut", "minuten"), "second": ("seconde", "seconden"), "and": "en"},
    "pt": {"hour": ("hora", "horas"), "minute": ("minuto", "minutos"), "second": ("segundo", "segundos"), "and": "e"},
}

# The few phrases voiceguide itself says, by language (English where a language is missing).
PHRASES = {
    "en": {"switch sides": "Switch sides.", "breathe in": "Breathe in", "breathe hold": "Hold", "breathe out": "Breathe out"},
    "de": {"switch sides": "Seite wechseln.", "breathe in": "Einatmen", "breathe hold": "Halten", "breathe out": "Ausatmen"},
    "fr": {"switch sides": "Changez de côté.", "breathe in": "Inspirez", "breathe hold": "Retenez", "breathe out": "Expirez"},
    "es": {"switch sides": "Cambia de lado.", "breathe in": "Inhala", "breathe hold": "Mantén", "breathe out": "Exhala"},
    "it": {"switch sides": "Cambia lato.", "breathe in": "Inspira", "breathe hold": "Trattieni", "breathe out": "Espira"},
    "nl": {"switch sides": "Wissel van kant.", "breathe in": "Adem in", "breathe hold": "Vasthouden", "breathe out": "Adem uit"},
    "pt": {"switch sides": "Troque de lado.", "breathe in": "Inspire", "breathe hold": "Segure", "breathe out": "Expire"},
}


# What "how long" answers (live/steer.py): "{}" is a length, as `duration_words` says it; "one minute" is
# written out where the engine reads "1 Minute" as "eins Minute" (espeak-ng: de, fr, es, it).
PHRASES["en"] |= {"time left": "{} left.", "about left": "About {} left.",
                  "session left": "About {} left in the session.", "one minute": "one minute"}
PHRASES["de"] |= {"time left": "Noch {}.", "about left": "Noch etwa {}.", "session left": "Noch etwa {} bis zum Ende.",
                  "one minute": "eine Minute"}
PHRASES["fr"] |= {"time left": "Encore {}.", "about left": "Encore environ {}.",
                  "session left": "Encore environ {} avant la fin.", "one minute": "une minute"}
PHRASES["es"] |= {"time left": "Tiempo restante: {}.", "about left": "Tiempo restante: aproximadamente {}.",
                  "session left": "Tiempo restante de la sesión: aproximadamente {}.", "one minute": "un minuto"}
PHRASES["it"] |= {"time left": "Tempo rimanente: {}.", "about left": "Tempo rimanente: circa {}.",
                  "session left": "Tempo rimanente della sessione: circa {}.", "one minute": "un minuto"}
PHRASES["nl"] |= {"time left": "Nog {}.", "about left": "Nog ongeveer {}.", "session left": "Nog ongeveer {} tot het einde.",
                  "one minute": "één minuut"}
PHRASES["pt"] |= {"time left": "Tempo restante: {}.", "about left": "Tempo restante: cerca de {}.",
                  "session left": "Tempo restante da sessão: cerca de {}.", "one minute": "um minuto"}


def _base_language(language: str) -> str:
    return (language or "en").lower().replace("_", "-").split("-")[0]


def phrase(key: str, language: str = "en") -> str:
    return PHRASES.get(_base_language(language), PHRASES["en"]).get(key, PHRASES["en"][key])


def duration_words(seconds: float, language: str = "en") -> str:
    """A hold's length as spoken: 'thirty seconds', 'one minute and thirty seconds'; in other languages
    digits with that language's unit words ('1 Minute und 30 Sekunden'), else digits and h/min/s."""
    lang = _base_language(language)
    s = int(seconds + 0.5)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    amounts = [(h, "hour"), (m, "minute"), (s, "second")]
    amounts = [(n, unit) for n, unit in amounts if n] or [(0, "second")]
    if lang == "en":
        parts = [f"{number_words(n)} {unit}{'' if n == 1 else 's'}" for n, unit in amounts]
        glue = "and"
    elif lang in UNITS:
        words = UNITS[lang]
        parts = [f"{n} {words[unit][0 if n == 1 else 1]}" for n, unit in amounts]
        glue = words["and"]
    else:
        short = {"hour": "h", "minute": "min", "second": "s"}
        return " ".join(f"{n} {short[unit]}" for n, unit in amounts)
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {glue} " + parts[-1]


def time_left_words(seconds: float, language: str = "en", session: bool = False) -> str:
    """What "how long" answers, rounded as a person would say it: to 5 seconds under a minute
    ("Twenty seconds left."; five at the least), else to whole minutes ("About two minutes left.");
    `session`: the time left in the whole session ("About twelve minutes left in the session.")."""
    fives = max(5, 5 * int(seconds / 5 + 0.5))
    if fives < 60:
        return _sentence(phrase("time left", language).format(duration_words(fives, language)))
    minutes = int(seconds / 60 + 0.5)
    amount = phrase("one minute", language) if minutes == 1 else duration_words(60 * minutes, language)
    return _sentence(phrase("session left" if session else "about left", language).format(amount))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def count_words(n: int, language: str = "en") -> str:
    return number_words(n) if language.lower().startswith("en") else str(n)


# "{breaths} breaths", "{breaths} deep, slow breaths": the noun a few words after the count
_BREATHS_AFTER = re.compile(r"^(\s+(?:[^\s.!?;:]+\s+){0,3}?)breaths\b")


def singular_breaths(text: str) -> str:
    """The text after an English count of one breath: its first "breaths" within a few words (the
    count's noun) made singular, so that "{breaths} slow breaths" says "one slow breath"."""
    return _BREATHS_AFTER.sub(r"\1breath", text, count=1)


# ---------------------------------------------------------------- narration templates

@dataclass(frozen=True)
class Literal:
    text: str


_UNSET_BECAUSE = {
    "next": "no step comes after this one",
    "side": "the step's `sides` is not valid",
    "other": "the step's `sides` is not valid",
    "round": "the `repeat` around it is not valid",
    "rounds": "the `repeat` around it is not valid",
    "duration": "the step's length is not valid",
    "breaths": "the step's `breaths` is not valid",
}


@dataclass(frozen=True)
class Placeholder:
    name: str
    offset: int  # where it stands in the template, for error positions
    raw: str

    @property
    def unset_reason(self) -> str:
        """Why a placeholder allowed where it stands has no value when the planner fills it in."""
        return _UNSET_BECAUSE.get(self.name, "it has none in this step")


@dataclass(frozen=True)
class Pause:
    seconds: float


Part = Literal | Placeholder | Pause

_TOKEN_RE = re.compile(r"\{([^{}\n]*)\}|\[([^\[\]\n]*)\]|[{}\[\]]")
_PAUSE_RE = re.compile(r"^\s*pause\s+(\S+)\s*$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True)
class TemplateProblem:
    offset: int
    raw: str
    message: str


def parse_template(text: str) -> tuple[tuple[Part, ...], list[TemplateProblem]]:
    """Split narration into literal text, placeholders and pauses, with any problems found."""
    parts: list[Part] = []
    problems: list[TemplateProblem] = []
    bad = CONTROL_RE.search(text)
    if bad:
        problems.append(
            TemplateProblem(bad.start(), bad.group(), f"the text holds a control character (U+{ord(bad.group()):04X})")
        )
    last = 0
    for m in _TOKEN_RE.finditer(text):
        if m.start() > last:
            parts.append(Literal(text[last : m.start()]))
        last = m.end()
        raw = m.group(0)
        if m.group(1) is not None:
            name = m.group(1).strip()
            if name in PLACEHOLDERS:
                parts.append(Placeholder(name, m.start(), raw))
            else:
                from difflib import get_close_matches

                near = get_close_matches(name, PLACEHOLDERS, n=1)
                hint = f"; did you mean {{{near[0]}}}?" if near else ""
                known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
                what = f"unknown placeholder {raw}" if _NAME_RE.match(name) else f"{raw} is not a placeholder"
                problems.append(TemplateProblem(m.start(), raw, f"{what}{hint} (known: {known})"))
        elif m.group(2) is not None:
            pm = _PAUSE_RE.match(m.group(2))
            seconds = parse_duration(pm.group(1)) if pm else None
            if pm and seconds is not None and 0 < seconds <= 60:
                parts.append(Pause(seconds))
            elif pm and seconds is not None:
                problems.append(TemplateProblem(m.start(), raw, f"{raw}: a pause must be more than 0s and at most 60s"))
            else:
                problems.append(
                    TemplateProblem(
                        m.start(), raw, f"{raw} is not understood; square brackets are only for pauses such as [pause 2s]"
                    )
                )
        else:
            problems.append(
                TemplateProblem(m.start(), raw, f"unmatched '{raw}'; braces are for placeholders such as {{side}}")
            )
    if last < len(text):
        parts.append(Literal(text[last:]))
    return tuple(parts), problems


def normalise_space(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?[.!?])(\s|$)", text)
    return (m.group(1) if m else text).strip()


def short_title(text: str, words: int = 5) -> str:
    """A chapter name from narration: its first few words."""
    sentence = first_sentence(normalise_space(text)).rstrip(".!?,;:")
    tokens = sentence.split()
    if len(tokens) <= words:
        return sentence
    return " ".join(tokens[:words]).rstrip(",;:") + "…"
