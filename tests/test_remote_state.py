"""The phone remote's state and commands in process, with no sound, no browser and no server: the
page's state is the floor view's, the event stream sends changes and ends with the session, and
"more time" and "how long" steer as the keys do. Split from the remote tests, whose other modules
(test_remote_phone.py, test_remote_cli.py) run real sessions."""

from __future__ import annotations

import json
import threading
import time

import numpy as np


def test_the_page_state_is_the_floor_state():
    """The phone shows what the floor view shows: the same step, side, countdown and caption."""
    from testsupport.routines import plan_text
    from voiceguide.plan.now import Now
    from voiceguide.web.remote import remote_state

    tl = plan_text("""
        title: Sides
        steps:
          - title: Figure four
            say: Cross the ankle over the knee.
            sides: [right, left]
            for: 20s
    """)
    for t in np.arange(0.0, tl.duration, 0.5):
        fs = Now(tl, float(t), paused=t > 30)
        state = remote_state(fs)
        assert (state["step"], state["side"], state["countdown"], state["caption"], state["paused"]) == (
            fs.step, fs.side, fs.countdown_seconds, fs.caption, fs.paused)
        if fs.countdown_seconds is not None:  # the digits read as the floor view's: 0:15
            assert state["countdown_text"] == f"0:{fs.countdown_seconds:02d}"
        assert state["chapter"] == fs.chapter + 1 and state["next_step"] == fs.next_step
    assert {remote_state(Now(tl, c.start + 0.1))["side"] for c in tl.chapters} >= {"right", "left"}


def test_the_event_stream_sends_changes_and_ends_with_the_session():
    from voiceguide.web.remote import StateFeed

    feed = StateFeed()
    stream = feed.stream(keep_alive=0.2)
    assert next(stream) == b'retry: 1000\n\ndata: {"started":false,"finished":false}\n\n'
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.extend(stream))
    reader.start()
    feed.publish({"started": True, "step": "A"})
    feed.publish({"started": True, "step": "A"})  # no change: no event
    time.sleep(0.35)  # an idle stream says it is still there
    feed.publish({"started": True, "step": "B"})
    feed.close()
    reader.join(2)
    assert not reader.is_alive()
    data = [g for g in got if g.startswith(b"data:")]
    assert data == [b'data: {"started":true,"step":"A"}\n\n', b'data: {"started":true,"step":"B"}\n\n']
    assert b": still here\n\n" in got
    assert got[-1] == b'event: end\ndata: {"started":true,"step":"B"}\n\n'


def test_more_time_and_how_long_from_the_phone(tmp_path):
    """POST /command/extend and /command/remaining steer as the keys do, and the page gets the note (in
    process, by the player's clock: no sound, no browser)."""
    from email.message import Message

    from testsupport.player import hold_of, play_to, rendered
    from voiceguide.live.player import Player
    from voiceguide.voice import ClipCache
    from voiceguide.web.http import Request
    from voiceguide.web.remote import COMMANDS, Remote, route

    assert {"extend", "remaining"} <= set(COMMANDS) and "key" not in COMMANDS
    ahead = rendered("more-time.yaml", ClipCache(tmp_path))
    remote = Remote()
    remote.player = player = Player(ahead.timeline, ahead.voice.clip, planner=ahead)
    hold = hold_of(player.timeline, 0)
    play_to(player, hold.start + 8.0)

    def post(name: str) -> dict:
        reply = route(remote, Request("POST", f"/command/{name}", "http://127.0.0.1:8766", Message()))
        assert reply.status == 200
        return json.loads(reply.body)

    assert post("extend")["note"] == "more time: +15 s" and hold_of(player.timeline, 0).end == hold.end + 15.0
    state = post("remaining")
    assert state["note"] == "Thirty-five seconds left." and player.overlaying  # 22 + 15 s
    assert state["countdown"] == 37 and remote.feed.state == state
