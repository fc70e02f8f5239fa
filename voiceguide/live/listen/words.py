"""The words a person says to steer a session, in each language a routine can have, and how a
transcript of what was heard becomes one command or none.

A command is a word or a short phrase said on its own. The recogniser transcribes a short utterance
in full, so a sentence that merely contains a command word ("stop if it hurts", "next, the other
side") is a different transcript and steers nothing: only a transcript that is exactly one of these
phrases (or that phrase said again, "pause, pause") is a command. Case, accents and punctuation do
not matter; everything else does.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# phrase -> live/steer.py's command, per routine language. Keep each phrase short and unlike the others.
PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "pause": "pause", "wait": "pause",
        "continue": "resume", "resume": "resume", "go on": "resume",
        "next": "next", "skip": "next",
        "back": "back",
        "repeat": "repeat", "again": "repeat",
        "stop": "stop", "finish": "stop",
        "more time": "extend",
        "how long": "remaining",
    },
    "de": {
        "pause": "pause", "warte": "pause", "warten": "pause",
        "weiter": "resume", "fortsetzen": "resume",
        "nächste": "next", "nächster": "next", "überspringen": "next",
        "zurück": "back",
        "wiederholen": "repeat", "nochmal": "repeat", "noch mal": "repeat",
        "stopp": "stop", "stop": "stop", "beenden": "stop",
        "mehr zeit": "extend",
        "wie lange": "remaining",
    },
    "fr": {
        "pause": "pause", "attends": "pause", "attendez": "pause",
        "continue": "resume", "continuez": "resume", "reprends": "resume", "reprenez": "resume",
        "suivant": "next", "passe": "next",
        "retour": "back",
        "répète": "repeat", "répétez": "repeat",  # not "encore": "encore un peu" asks for more time
        "stop": "stop", "arrête": "stop", "arrêtez": "stop",
        "plus de temps": "extend",
        "combien de temps": "remaining",
    },
    "es": {
        "pausa": "pause", "espera": "pause",
        "continúa": "resume", "continuar": "resume", "sigue": "resume",
        "siguiente": "next", "salta": "next",
        "atrás": "back",
        "repite": "repeat", "repetir": "repeat", "otra vez": "repeat",
        "para": "stop", "alto": "stop", "termina": "stop",
        "más tiempo": "extend",
        "cuánto falta": "remaining", "cuánto queda": "remaining",
    },
    "it": {
        "pausa": "pause", "aspetta": "pause",
        "continua": "resume", "riprendi": "resume",
        "avanti": "next", "salta": "next", "prossimo": "next",
        "indietro": "back",
        "ripeti": "repeat", "ancora": "repeat",
        "stop": "stop", "basta": "stop", "fine": "stop",
        "più tempo": "extend",
        "quanto manca": "remaining",
    },
    "nl": {
        "pauze": "pause", "wacht": "pause",
        "verder": "resume", "doorgaan": "resume", "ga door": "resume",
        "volgende": "next", "overslaan": "next",
        "terug": "back",
        "herhaal": "repeat", "opnieuw": "repeat",
        "stop": "stop", "stoppen": "stop", "klaar": "stop",
        "meer tijd": "extend",
        "hoe lang": "remaining", "hoe lang nog": "remaining",
    },
    "pt": {
        "pausa": "pause", "espera": "pause",
        "continua": "resume", "continuar": "resume", "segue": "resume",
        "próximo": "next", "seguinte": "next", "salta": "next",
        "volta": "back", "voltar": "back",
        "repete": "repeat", "repetir": "repeat", "de novo": "repeat",
        "para": "stop", "parar": "stop", "termina": "stop",
        "mais tempo": "extend",
        "quanto falta": "remaining",
    },
}
LANGUAGES = tuple(PHRASES)

# What each command word is listed as in the floor view's reminder (the first phrase of each command).
ORDER = ("pause", "resume", "next", "back", "repeat", "stop", "extend", "remaining")


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how transcripts and phrases are compared.
    Remembered: a transcript's pieces are folded once per phrase, and the evaluation weighs hundreds of
    rules on the same transcripts (tools/listen_compare.py)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w\s']|_", " ", plain).replace("'", " ").split())


def phrases(language: str) -> dict[str, str]:
    """The folded phrases of a language (English for a language without its own words)."""
    return dict(_folded_phrases(language))


@lru_cache(maxsize=16)
def _folded_phrases(language: str) -> tuple[tuple[str, str], ...]:
    return tuple((fold(p), c) for p, c in PHRASES.get(language, PHRASES["en"]).items())


@lru_cache(maxsize=4096)  # the evaluation asks it of the same transcripts under hundreds of rules
def command_in(transcript: str, language: str = "en") -> tuple[str, str] | None:
    """(phrase, command) when the transcript is exactly one command phrase, said once or repeated
    (the last repetition may be cut short: the decoder stops after a few tokens)."""
    text = fold(transcript)
    for phrase, command in phrases(language).items():
        if text == phrase or _repeated(text, phrase):
            return phrase, command
    return None


def _repeated(text: str, phrase: str) -> bool:
    """Whether `text` is `phrase` said twice or more, its last time perhaps cut short."""
    times = 0
    while text.startswith(phrase) and (len(text) == len(phrase) or text[len(phrase)] == " "):
        text, times = text[len(phrase) + 1:], times + 1
    return times >= 2 and phrase.startswith(text) if text else times >= 2


def spelt_by(pieces: list[str], phrase: str) -> int:
    """How many of a transcript's pieces (its tokens' texts) it takes to spell `phrase`, said first
    (all of them when they never do)."""
    return _spelt_by(tuple(pieces), phrase)


@lru_cache(maxsize=1 << 16)
def _spelt_by(pieces: tuple[str, ...], phrase: str) -> int:
    for n, text in enumerate(_folded_prefixes(pieces), start=1):
        if text == phrase or text.startswith(phrase + " "):
            return n
    return len(pieces)


@lru_cache(maxsize=4096)
def _folded_prefixes(pieces: tuple[str, ...]) -> tuple[str, ...]:
    """The first piece, the first two, ... joined and folded. Remembered, like `fold`: a transcript
    is spelt against every phrase, and the evaluation does that under hundreds of rules."""
    return tuple(fold("".join(pieces[:n])) for n in range(1, len(pieces) + 1))


def prompt(language: str = "en") -> str:
    """The decoder's prompt: the phrases as a list, so that a phrase said alone is spelt as listed.

    Only the phrases: with the session's own words after them ("breathe in, breathe out, hold, switch
    sides"), false commands fell from 35 to 7 in 2,720 recordings, but commands obeyed from 876 to 865
    of 952 (the natural voice's "pause" became "Fies"); before them, 863 (docs: decisions)."""
    return ", ".join(PHRASES.get(language, PHRASES["en"])) + "."


def by_command(language: str = "en") -> list[tuple[str, tuple[str, ...]]]:
    """(command, its phrases as listed) in `ORDER`: the words a person may say for each."""
    listed = PHRASES.get(language, PHRASES["en"])
    grouped = [(command, tuple(p for p, c in listed.items() if c == command)) for command in ORDER]
    return [(command, said) for command, said in grouped if said]


def reminder(language: str = "en") -> str:
    """One phrase per command, for the floor view: "pause, continue, next, ..."."""
    return ", ".join(said[0] for _, said in by_command(language))
