"""Whisper base through CTranslate2: the text of one short utterance, each token's log-probability,
and the odds the recogniser's rules weigh (transcript.Transcript).

Whisper was trained on 680,000 hours of speech from many voices and rooms, so it hears voices nobody
tuned it on; pocketsphinx, which it replaces, obeyed 62 % of commands on our own recordings. It runs
int8 on the CPU and decodes greedily with the language's phrases as its prompt, so a word said alone
is spelt as listed (words.prompt; a beam of five was tried and gained nothing worth its risk: on the
tuned voices 423 commands of 448 against 418, on the checked voices 455 of 504 against 458, and in
French it took "reprends" for "arrêtez", stop). Whisper's encoder expects 30 s of audio; it is given
`WINDOW` seconds instead (the utterance and silence after it), about 5x faster, and on our espeak-ng
test voices it transcribed more commands exactly (106 of 112 against 100 of 112; 4 s: 102). A short
window can make the decoder repeat what it heard ("pause pause pause"), so the output is capped at
`MAX_TOKENS` and a phrase repeated counts as the phrase (words.command_in).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...voice.sentences import cores
from .model import ListenModels
from .transcript import Transcript
from .vad import RATE
from .words import PHRASES, fold, prompt

WINDOW = 10.0  # seconds of audio the encoder sees (Whisper's own is 30)
MAX_TOKENS = 12  # tokens decoded at most: a phrase is two or three, a sentence more
ENDINGS = (".", "!", "?")  # tokens that end an utterance as the end of text does


def load_tokenizer(path: Path):
    """Whisper's tokenizer, whole. The pinned tokenizer.json lacks the first of its byte-pair merges,
    " t" (the token "Ġt" is 256 in its vocabulary, the first a merge makes), as a converter leaves it
    that takes the first line of the merges for a header: every word that begins with a t was then
    encoded as a space and the rest (" time" as " ", "time"), a spelling the decoder never writes, so
    the prompt's "more time" and the phrases the rules weigh were read oddly. The merge is put back in
    memory; the file is verified by its SHA-256 and left as it is."""
    import tokenizers

    data = json.loads(path.read_text(encoding="utf-8"))
    merges = data["model"]["merges"]
    first = "Ġ t" if not merges or isinstance(merges[0], str) else ["Ġ", "t"]
    if data["model"]["vocab"].get("Ġt") == 256 and first not in merges:
        merges.insert(0, first)
    return tokenizers.Tokenizer.from_str(json.dumps(data))


def threads() -> int:
    """CTranslate2's threads: half the cores, at most four. The session synthesises speech ahead on
    the other half; with two threads on two cores beside it, a word that takes 0.3-0.7 s alone took
    3-5 s now and then (its threads wait on each other while the voice's hold the cores)."""
    return max(1, min(4, cores() // 2))


class Transcriber:
    """Whisper base through CTranslate2: `__call__(audio)` is the text of one utterance. `encode` and
    `decode` are its two halves, so that one encoding can be decoded with several prompts (the
    evaluation compares prompts that way, tools/listen_eval.py)."""

    def __init__(self, models: ListenModels, language: str = "en", window: float = WINDOW, *,
                 unprompted: bool = False, unaided: bool = False):
        import ctranslate2
        from faster_whisper.feature_extractor import FeatureExtractor
        from faster_whisper.tokenizer import Tokenizer

        self.model = ctranslate2.models.Whisper(str(models.whisper), device="cpu", compute_type="int8",
                                                intra_threads=threads())
        self.tokenizer = Tokenizer(load_tokenizer(models.whisper / "tokenizer.json"), True, task="transcribe",
                                   language=language)
        self.features = FeatureExtractor(feature_size=80)
        self.window = window
        self.language = language
        self.with_unprompted = unprompted  # decode each phrase's first word without the prompt too
        self.with_unaided = unaided  # weigh each phrase found without the prompt (Transcript.unaided)
        self.prompt = self.prompt_tokens(prompt(language))
        self.bare = list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps]  # no prompt
        self.endings = [self.tokenizer.eot] + [self.tokenizer.encode(e)[0] for e in ENDINGS]
        self.first_words: dict[str, set[int]] = {}  # folded phrase: its first word's tokens, as written
        self.spellings: dict[str, list[tuple[int, ...]]] = {}  # folded phrase: its tokens, as written
        for written in PHRASES.get(language, PHRASES["en"]):
            for spelling in (written, written.capitalize()):
                tokens = tuple(self.tokenizer.encode(" " + spelling))
                self.first_words.setdefault(fold(written), set()).add(tokens[0])
                if tokens not in self.spellings.setdefault(fold(written), []):
                    self.spellings[fold(written)].append(tokens)

    def prompt_tokens(self, text: str) -> list[int]:
        """The decoder's start: `text` as the previous text, then transcribe, without timestamps."""
        return ([self.tokenizer.sot_prev] + self.tokenizer.encode(" " + text)
                + list(self.tokenizer.sot_sequence) + [self.tokenizer.no_timestamps])

    def encode(self, audio: np.ndarray):
        """The encoder's output for one utterance, padded with silence to the window."""
        import ctranslate2

        samples = int(self.window * RATE)
        padded = np.zeros(max(samples, len(audio)), np.float32)
        padded[: len(audio)] = audio
        frames = self.features(padded, chunk_length=30)[:, : padded.size // self.features.hop_length]
        return self.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(frames[None])))

    def decode(self, encoded, start: list[int]) -> Transcript:
        """Greedy decoding after `start`, with each token's log-probability and the odds of ending at
        each step (from the decoder's logits at that step: about 50,000 numbers a token, a few
        tokens an utterance)."""
        result = self.model.generate(encoded, [start], beam_size=1, max_length=len(start) + MAX_TOKENS,
                                     return_logits_vocab=True)[0]
        ids = result.sequences_ids[0]
        tokens, ends, opening = [], [], ()
        for i, logits in enumerate(result.logits[0]):
            step = _log_softmax(logits)
            if i == 0:
                opening = self.first_word_odds(step)
            ends.append(float(np.logaddexp.reduce(step[self.endings])))
            if i < len(ids):
                tokens.append((self.tokenizer.decode([ids[i]]), float(step[ids[i]])))
        return Transcript(self.tokenizer.decode(ids).strip(), tuple(tokens), tuple(ends), opening=opening)

    def first_word_odds(self, step: np.ndarray) -> tuple[tuple[str, float], ...]:
        """Each phrase's first word's log-probability as the next token, from one step's log-softmax."""
        return tuple((p, float(np.logaddexp.reduce(step[sorted(ids)]))) for p, ids in self.first_words.items())

    def unprompted(self, encoded) -> tuple[tuple[str, float], ...]:
        """Each phrase's first word as the first thing said, decoded without the prompt (one step)."""
        result = self.model.generate(encoded, [self.bare], beam_size=1, max_length=len(self.bare) + 1,
                                     return_logits_vocab=True)[0]
        return self.first_word_odds(_log_softmax(result.logits[0][0]))

    def unaided(self, encoded, heard: Transcript) -> Transcript:
        """`heard` with its `unaided` odds: for each phrase it says first, or after its first word, how
        much less likely the decoder with no prompt finds the utterance to be that phrase, said and
        ended (after the same first word), than its own best transcript (greedy). Nothing is decoded
        for a transcript that holds no phrase."""
        found = heard.said_first(self.language)
        if not found:
            return heard
        best = self.best_unprompted(encoded)
        odds = []
        for before, phrase, skipped in found:
            words = tuple(self.tokenizer.encode("".join(heard.pieces[:skipped])))
            said = np.logaddexp.reduce([self.said_and_ended(encoded, words + spelling)
                                        for spelling in self.spellings[phrase]])
            odds.append((before, phrase, float(said - best)))
        return replace(heard, unaided=tuple(odds))

    def best_unprompted(self, encoded) -> float:
        """The log-probability of the decoder's own transcript with no prompt, greedy, up to its first
        end (the end of text, or a full stop, '!' or '?', the odds of either at that step)."""
        stops = set(self.endings[1:])
        result = self._decode_bare(encoded, (), MAX_TOKENS)
        ids, steps = result.sequences_ids[0], result.logits[0]
        total = 0.0
        for i, logits in enumerate(steps):
            step = _log_softmax(logits)
            if i == len(ids) or ids[i] in stops:
                return total + float(np.logaddexp.reduce(step[self.endings]))
            total += float(step[ids[i]])
        return total  # cut off at MAX_TOKENS: no end weighed

    def said_and_ended(self, encoded, tokens: tuple[int, ...]) -> float:
        """The log-probability, with no prompt, of `tokens` and then an end (forced decoding)."""
        # CTranslate2 counts the forced tokens against max_length unevenly: enough to reach the step after them
        steps = self._decode_bare(encoded, tokens, len(tokens) + 2).logits[0]
        total = sum(float(_log_softmax(steps[i])[t]) for i, t in enumerate(tokens))
        return total + float(np.logaddexp.reduce(_log_softmax(steps[len(tokens)])[self.endings]))

    def _decode_bare(self, encoded, forced: tuple[int, ...], more: int):
        """Greedy decoding with no prompt after the `forced` tokens (their steps' logits included), for
        `more` tokens at most; nothing is suppressed, so that the end of text may come at any step."""
        return self.model.generate(encoded, [self.bare + list(forced)], beam_size=1, suppress_blank=False,
                                   max_length=len(self.bare) + len(forced) + more,
                                   return_logits_vocab=True)[0]

    def __call__(self, audio: np.ndarray) -> Transcript:
        encoded = self.encode(audio)
        heard = self.decode(encoded, self.prompt)
        return self.weighed(encoded, heard)

    def weighed(self, encoded, heard: Transcript) -> Transcript:
        """`heard` with the odds decoded without the prompt that the rule reads (none: nothing decoded)."""
        if self.with_unprompted:
            heard = replace(heard, unprompted=self.unprompted(encoded))
        return self.unaided(encoded, heard) if self.with_unaided else heard


def _log_softmax(logits) -> np.ndarray:
    step = np.asarray(logits, np.float64)
    top = step.max()
    return step - top - np.log(np.exp(step - top).sum())
