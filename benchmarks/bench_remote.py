#!/usr/bin/env python3
"""voiceguide benchmark: how long the phone remote's transport takes (`play --remote`).

A real `voiceguide play tests/live/skip.yaml --remote` runs (miniaudio's null backend: it pulls sound
in real time and plays it nowhere, so no sound server is needed). A client keeps one event stream
(server-sent events, /events) and one keep-alive connection for commands, and sends pause and resume
in turn, N times. For each command it times, on one clock (time.perf_counter):

  post      sending the POST until its reply has arrived (the command has been applied)
  event     sending the POST until the event stream has delivered the new state

These are the transport's whole share of "a press takes effect within 300 ms"; the rest is the sound
device's buffer (measured on a PulseAudio sink by tests/test_remote_phone.py) and the phone's Wi-Fi.

    python3 benchmarks/bench_remote.py            # 40 commands
    python3 benchmarks/bench_remote.py -n 100
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=40, help="commands to send (pause and resume in turn)")
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceguide", "play", str(ROOT / "tests" / "live" / "skip.yaml"), "--engine", "espeak",
         "--audio-backend", "null", "--remote", "--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        events: list[tuple[float, dict]] = []
        arrived = threading.Condition()

        def listen() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/events")
            resp = conn.getresponse()
            while line := resp.fp.readline():
                if line.startswith(b"data: "):
                    with arrived:
                        events.append((time.perf_counter(), json.loads(line[6:])))
                        arrived.notify_all()

        threading.Thread(target=listen, daemon=True).start()
        commands = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        deadline = time.monotonic() + 60
        while not (events and events[-1][1].get("started")):
            assert time.monotonic() < deadline, "the session never started"
            time.sleep(0.05)
        post, event = [], []
        for i in range(args.n):
            paused = i % 2 == 0
            with arrived:
                seen = len(events)
            t0 = time.perf_counter()
            commands.request("POST", "/command/" + ("pause" if paused else "resume"))
            reply = commands.getresponse()
            reply.read()
            t1 = time.perf_counter()
            assert reply.status == 200, reply.status
            with arrived:
                arrived.wait_for(lambda: any(e[1].get("paused") is paused for e in events[seen:]), timeout=5)
                t2 = next(t for t, e in events[seen:] if e.get("paused") is paused)
            post.append(t1 - t0)
            event.append(t2 - t0)
            time.sleep(0.2)
        commands.request("POST", "/command/stop")
        commands.getresponse().read()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for name, values in (("post", post), ("event", event)):
        ms = sorted(v * 1000 for v in values)
        print(f"{name:<6} median {statistics.median(ms):6.2f} ms   p95 {ms[int(0.95 * (len(ms) - 1))]:6.2f} ms   "
              f"max {ms[-1]:6.2f} ms   (n={len(ms)})")


if __name__ == "__main__":
    main()
