"""The recogniser on rendered speech (Whisper base and silero VAD, real models): phrases said alone
and sentences, in every routine language; the models verified; the listener in process."""

from __future__ import annotations

import time

import numpy as np
import pytest

from testsupport import ROOT
from testsupport.listen import at_16k, feed

LIVE = ROOT / "tests" / "live"


def test_recognizer_obeys_every_phrase_said_alone_and_no_sentence(recognizer, session_voice):
    """The natural voice at its default rate, through one recogniser as a session runs it."""
    from voiceguide.live.listen.words import PHRASES

    for phrase, command in PHRASES["en"].items():
        recognizer.reset()
        assert [h.command for h in feed(recognizer, at_16k(session_voice.clip(phrase)))] == [command], (
            phrase, recognizer.transcripts[-1:])
    for sentence in ("Stop at once for sharp pain.", "Now the next step.", "Lie on your back.", "Front left.",
                     "Repeat on the other side.", "Pause here, then continue.", "Well done.", "Next, the other side."):
        recognizer.reset()
        assert feed(recognizer, at_16k(session_voice.clip(sentence))) == [], (sentence, recognizer.transcripts[-1:])


def test_a_transcript_carries_its_odds_of_ending_and_each_phrase_s_first_word_first(recognizer, session_voice):
    """What the rule reads (recognizer.Rule): the odds of ending before each token and after the last,
    and every phrase's first word as the first thing said, decoded without the prompt and with it, the
    said one the likeliest both ways."""
    from dataclasses import replace

    from voiceguide.live.listen.words import fold, phrases

    audio = np.frombuffer(at_16k(session_voice.clip("Stop.")), "<i2").astype(np.float32) / 32768
    encoded = recognizer.transcribe.encode(audio)
    heard = replace(recognizer.transcribe.decode(encoded, recognizer.transcribe.prompt),
                    unprompted=recognizer.transcribe.unprompted(encoded))
    assert fold(heard.text) == "stop", heard
    assert len(heard.ends) == len(heard.tokens) + 1 and all(e <= 0 for e in heard.ends)
    assert heard.ends[0] < -3 < -0.7 < heard.ends[-1]  # it did not end before the word, and did after it
    unprompted = dict(heard.unprompted)
    assert set(unprompted) == set(phrases("en"))
    assert max(unprompted, key=unprompted.get) == "stop" and unprompted["stop"] > -1.5, unprompted
    opening = dict(heard.opening)
    assert set(opening) == set(phrases("en"))
    assert max(opening, key=opening.get) == "stop", opening
    assert opening["stop"] >= heard.tokens[0][1] - 1e-6  # the written token's odds, and those of "Stop"


def test_the_tokenizer_spells_a_word_that_begins_with_t_as_the_decoder_writes_it(recognizer):
    """The pinned tokenizer.json lacks its first merge (" t"); loaded, it is whole again: " time" is one
    token, as the decoder writes it, and so the prompt's "more time" and the phrases weighed are too."""
    tokenizer = recognizer.transcribe.tokenizer
    assert tokenizer.encode(" time") == [565] and tokenizer.decode([565]) == " time"
    assert [tokenizer.decode([t]) for t in tokenizer.encode(" more time, how long.")] == [
        " more", " time", ",", " how", " long", "."]
    assert recognizer.transcribe.spellings["more time"] == [(544, 565), (5048, 565)]


def test_the_unaided_odds_tell_a_said_command_from_one_the_prompt_pulled(recognizer, listen_cache):
    """Transcript.unaided from the real decoder: espeak-ng's Scottish English "Hold" comes out of the
    prompted decoder as "pause", and decoded with no prompt "pause" is then far less likely than what
    it hears ("Hold"); its "pause" said alone is about as likely as the decoder's own best."""
    from dataclasses import replace

    from voiceguide import dsp
    from voiceguide.live.listen.vad import RATE
    from voiceguide.live.listen.words import command_in
    from voiceguide.voice import ClipCache, Voice

    voice = Voice.create("espeak", "en-gb-scotland", "en", 150, ClipCache(listen_cache))
    transcriber = recognizer.transcribe
    odds = {}
    for said in ("Hold", "pause"):
        clip = dsp.resample(dsp.from_int16(voice.clip(said)), dsp.RATE, RATE)
        audio = np.concatenate([np.zeros(RATE // 5), clip * (0.7 / np.abs(clip).max()), np.zeros(RATE // 2)])
        encoded = transcriber.encode(audio.astype(np.float32))
        heard = transcriber.unaided(encoded, transcriber.decode(encoded, transcriber.prompt))
        assert command_in(heard.text) == ("pause", "pause"), (said, heard.text)  # "pause", or repeated
        odds[said] = heard.unaided_odds("pause")
        assert heard.unaided == ((0, "pause", odds[said]),)
        assert replace(heard, unaided=()).unaided_odds("pause") is None
    assert odds["Hold"] < -4 < -1.5 < odds["pause"], odds


SENTENCES = {  # "Stop if it hurts.", "Next, the other side.", "Pause here, then continue."
    "de": ("Stopp, wenn es weh tut.", "Weiter, die andere Seite.", "Pause hier, dann weiter."),
    "fr": ("Arrête si ça fait mal.", "Suivant, l'autre côté.", "Pause ici, puis continue."),
    "es": ("Para si te duele.", "Siguiente, el otro lado.", "Pausa aquí, luego continúa."),
    "it": ("Basta se fa male.", "Avanti, l'altro lato.", "Pausa qui, poi continua."),
    "nl": ("Stop als het pijn doet.", "Volgende, de andere kant.", "Pauze hier, dan verder."),
    "pt": ("Para se doer.", "Próximo, o outro lado.", "Pausa aqui, depois continua."),
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_commands_in_the_routine_s_language(language, listen_cache):
    """Each phrase of the language said alone by espeak-ng's voice for it (the only offline voices
    here for some of them, and robotic: README has the shares): a fair share is obeyed, and never as
    another command; the language's sentences that start with a command word are not commands."""
    from voiceguide.live.listen.model import load_models
    from voiceguide.live.listen.recognizer import Recognizer
    from voiceguide.live.listen.words import PHRASES
    from voiceguide.voice import ClipCache, Voice

    recognizer = Recognizer(load_models(listen_cache), language)
    voice = Voice.create("espeak", None, language, 150, ClipCache(listen_cache))
    obeyed = 0
    for phrase, command in PHRASES[language].items():
        recognizer.reset()
        heard = [h.command for h in feed(recognizer, at_16k(voice.clip(phrase)))]
        assert heard in ([], [command]), (phrase, heard, recognizer.transcripts[-1:])
        obeyed += heard == [command]
    print(f"\n{language}: {obeyed} of {len(PHRASES[language])} phrases obeyed")
    assert obeyed >= 0.4 * len(PHRASES[language])
    for sentence in SENTENCES[language]:
        recognizer.reset()
        assert feed(recognizer, at_16k(voice.clip(sentence))) == [], (sentence, recognizer.transcripts[-1:])


def test_a_command_word_inside_a_sentence_s_pauses_is_not_a_command(recognizer, natural):
    """A sentence said slowly, with pauses around its command word ("If it hurts, stop, and rest.")
    is cut into several utterances; the one that is only "stop" follows other speech, so it is the
    rest of a sentence, even when the pauses are long enough to confirm a command after it (a slow
    reader's 0.8 s). Said alone after a silence, the same audio is a command."""
    from voiceguide import dsp
    from voiceguide.live.listen.vad import RATE as MODEL_RATE

    def pcm(*parts: str, gap: float) -> bytes:
        pieces = []
        for part in parts:
            pieces += [dsp.resample(dsp.from_int16(natural.clip(part)), dsp.RATE, MODEL_RATE),
                       np.zeros(int(gap * MODEL_RATE), np.float32)]
        return dsp.to_int16(np.concatenate([np.zeros(MODEL_RATE // 2, np.float32)] + pieces)).astype("<i2").tobytes()

    recognizer.reset()
    assert feed(recognizer, pcm("If it hurts", "stop", "and rest a while", gap=0.35)) == []
    recognizer.reset()  # a slow reader's pauses at the commas: longer than CONFIRM, shorter than ALONE
    assert feed(recognizer, pcm("If it hurts", "stop", "and rest a while", gap=0.8)) == []
    recognizer.reset()
    assert [h.command for h in feed(recognizer, pcm("stop", gap=1.0))] == ["stop"]


def test_recognizer_forgets_what_it_heard_before_the_session_spoke(recognizer, natural):
    """Half a word heard in a silence, then a loud block: nothing, even when the rest is quiet."""
    pcm = at_16k(natural.clip("stop"), before=0.6, after=0.8)
    half = int(0.6 * 16000) * 2 + (len(pcm) - int(1.4 * 16000) * 2) // 2
    half -= half % 2
    recognizer.reset()
    assert feed(recognizer, pcm, quiet=lambda i: not half <= i < half + 960) == []
    recognizer.reset()
    assert [h.command for h in feed(recognizer, pcm)] == ["stop"]  # the same audio, all quiet


def mirror_of_the_models(folder):
    """A folder of links to the installed model files (VOICEGUIDE_LISTEN_MODELS), to damage one of."""
    from voiceguide.live.listen import model

    folder.mkdir()
    for package, name in [(p, n) for p, n, _ in model.PARTS] + [(model.PARTS[0][0], n) for n, _ in model.BESIDE]:
        (folder / name).symlink_to(model.package_file(package, name))
    return folder


def test_a_damaged_model_is_refused_with_one_line_naming_it(tmp_path, monkeypatch):
    from voiceguide.live.listen import model

    mirror = mirror_of_the_models(tmp_path / "mirror")
    (mirror / "model.bin.part1").unlink()
    (mirror / "model.bin.part1").write_bytes(model.package_file(*model.PARTS[0][:2]).read_bytes()[: 1 << 20])
    monkeypatch.setenv("VOICEGUIDE_LISTEN_MODELS", str(mirror))
    with pytest.raises(model.ModelError) as err:
        model.load_models(tmp_path / "cache")
    assert "model.bin.part1" in str(err.value) and "SHA-256" in str(err.value) and "\n" not in str(err.value)
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []  # nothing half-written


class SilentMicrophone:
    """A microphone that opens and hears nothing (the listener's own tests need no sound server)."""

    def __init__(self):
        self.started = self.closed = False

    def start(self, on_block) -> None:
        self.started = True

    def close(self) -> None:
        self.closed = True


def a_player(tmp_path):
    from voiceguide.live.ahead import prepare_live
    from voiceguide.live.player import Player
    from voiceguide.voice import ClipCache

    ahead = prepare_live(LIVE / "listen.yaml", engine="espeak", cache=ClipCache(tmp_path / "clips"))
    ahead.render_some(10)
    return Player(ahead.timeline, ahead.clip, planner=ahead)


def listener_saying(lines: list[str], **kwargs):
    from voiceguide.live.listen.controller import Listener

    return Listener(say=lines.append, microphone=SilentMicrophone(), **kwargs)


def test_a_damaged_model_is_one_line_and_the_keys_still_steer(tmp_path, monkeypatch):
    from voiceguide.live.steer import steer

    mirror = mirror_of_the_models(tmp_path / "mirror")
    (mirror / "config.json").unlink()
    (mirror / "config.json").write_text("{}")
    monkeypatch.setenv("VOICEGUIDE_LISTEN_MODELS", str(mirror))
    lines: list[str] = []
    listener = listener_saying(lines, cache=tmp_path / "cache")
    player = a_player(tmp_path)
    listener.start(player)
    assert listener.ready.wait(60)
    deadline = time.monotonic() + 10
    while not listener.microphone.closed and time.monotonic() < deadline:  # the listening thread gives up
        time.sleep(0.01)
    assert len(lines) == 1 and "config.json" in lines[0] and "SHA-256" in lines[0] and "keys" in lines[0], lines
    assert listener.notice is None and listener.microphone.closed
    steer(player, "pause")  # the keys go on steering
    assert player.paused
    listener.close()


def test_without_the_listen_extra_it_is_one_line(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ctranslate2" else real(name, *a))
    lines: list[str] = []
    listener = listener_saying(lines)
    listener.start(a_player(tmp_path))
    assert listener.ready.wait(10)
    assert lines == ["--listen needs the speech model (pip install 'voiceguide[listen]'); playing on, "
                     "steer with the keys"]
    listener.close()


def test_a_damaged_joined_model_in_the_cache_is_assembled_again(listen_cache):
    from voiceguide.live.listen import model

    models = model.load_models(listen_cache)
    joined = models.whisper / "model.bin"
    with open(joined, "r+b") as f:
        f.seek(12345)
        byte = f.read(1)
        f.seek(12345)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert model.load_models(listen_cache) == models
    assert model.sha256_of(joined) == model.MODEL_DIGEST
