"""The live player driven in process, with no sound device: a pause silences the very next block,
mixing ahead changes nothing the device gets, and the player's output is the plan to the sample.
Split from the live tests because these run by the player's own clock, as fast as the machine
goes; the sessions on a real sound server are in test_live_play.py (which they would only slow)."""

from __future__ import annotations

import time

import numpy as np

from testsupport import LIVE
from testsupport.audio import RATE
from testsupport.live import SHIPPED, plan_json
from voiceguide import dsp
from voiceguide.voice import ClipCache


def test_pause_silences_the_very_next_block(tmp_path):
    """In process: the player hands out silence from the first pull after the pause, holds its
    position, and goes on with exactly the samples it would have played."""
    from voiceguide.live.ahead import prepare_live
    from voiceguide.live.player import Player

    ahead = prepare_live(LIVE / "pause-ticks.yaml", cache=ClipCache(tmp_path))
    block = RATE // 100  # 10 ms

    def pulls(player, n):
        return [np.frombuffer(player.pull(block), "<i2") for _ in range(n)]

    straight = np.concatenate(pulls(Player(ahead.timeline, ahead.voice.clip), 300))
    player = Player(ahead.timeline, ahead.voice.clip)
    before = pulls(player, 30)  # 0.3 s: in the middle of the first words
    assert np.abs(before[-1]).max() > 300
    player.toggle_pause()
    position = player.position
    during = pulls(player, 50)
    assert all(not b.any() for b in during)
    assert player.position == position
    assert player.status().paused
    player.toggle_pause()
    after = pulls(player, 270)
    assert np.array_equal(np.concatenate(before + after), straight)


def test_mixing_ahead_gives_the_same_samples_and_follows_pause_and_skip(tmp_path):
    """In process: with the producer thread mixing ahead, the device gets exactly what it would get
    without it, and a pause or a skip acts at the position the device has reached."""
    from voiceguide.live.ahead import prepare_live
    from voiceguide.live.player import Player

    ahead = prepare_live(LIVE / "pause-ticks.yaml", cache=ClipCache(tmp_path))
    while not ahead.all_rendered:
        ahead.render_some(10)
    block = 882

    def run(producer: bool):
        player = Player(ahead.timeline, ahead.voice.clip)
        if producer:
            player.start_producer()
        out = []
        for i in range(400):
            if producer:
                time.sleep(0.002)  # let it mix ahead
            if i == 100:
                player.toggle_pause()
            if i == 120:
                player.toggle_pause()
            if i == 200:
                player.skip()
            out.append(np.frombuffer(player.pull(block), "<i2"))
        player.quit()
        return np.concatenate(out), player.position

    (plain, pos_plain), (mixed_ahead, pos_ahead) = run(False), run(True)
    assert pos_plain == pos_ahead
    assert np.array_equal(plain, mixed_ahead)
    assert not plain[100 * block : 120 * block].any()  # silent while paused


def test_player_output_is_the_plan_to_the_sample(pulse, tmp_path):
    """In process, no device: the shipped routine pulled in device-sized blocks while the clips are
    still being rendered (and the timeline re-planned) is, sample for sample, the mix of the final
    timeline, and that timeline is the one `plan --json` prints."""
    from voiceguide.live.ahead import prepare_live
    from voiceguide.live.player import Player
    from voiceguide.mix.mixer import Mixer

    ahead = prepare_live(SHIPPED, engine="espeak", cache=ClipCache(tmp_path))  # as plan_json
    player = Player(ahead.timeline, ahead.voice.clip)
    ahead.start_background(player.update)
    block, out = 882, []
    while not player.finished.is_set():
        # a real device plays in real time, far slower than the clips render: never overtake them here
        while not ahead.done.is_set() and player.position + block > ahead.final_until * RATE:
            time.sleep(0.005)
        out.append(np.frombuffer(player.pull(block), "<i2"))
    assert ahead.error is None and player.failure is None
    got = np.concatenate(out)
    final = ahead.timeline
    mixer = Mixer(final, ahead.voice.clip)
    assert got.size >= mixer.length and not got[mixer.length :].any()
    assert np.array_equal(got[: mixer.length], dsp.to_int16(mixer.render_final(0, mixer.length)))
    plan = plan_json(pulse, SHIPPED, tmp_path)
    assert len(plan["events"]) == len(final.events)
    for want, ev in zip(plan["events"], final.events):
        assert (ev.kind, ev.text if ev.kind == "speech" else None) == (want["kind"], want.get("text"))
        assert abs(ev.start - want["start"]) < 0.0006 and abs(ev.end - want["end"]) < 0.0006
