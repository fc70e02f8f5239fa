// voiceguide's remote (`play --remote`): follows the live session through server-sent events and
// steers it with one POST per button. No framework; everything comes from the session that served it.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const buttons = [...document.querySelectorAll(".r-controls button")];
  const KIND = { hold: "Hold", rest: "Rest", wait: "Waiting" };
  const BREATH = { in: "Breathe in", hold: "Hold the breath", out: "Breathe out" };
  let ended = false;
  let source = null;

  function clock(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
  }

  function setText(id, text) {
    const node = $(id);
    if (node.textContent !== text) node.textContent = text;
  }

  function banner(kind, text, hint) {
    const node = $("r-banner");
    node.hidden = !kind;
    node.className = "r-banner" + (kind ? " " + kind : "");
    const shown = (text || "") + "|" + (hint || "");
    if (node.dataset.shown === shown) return;
    node.dataset.shown = shown;
    node.replaceChildren(document.createTextNode(text || ""));
    if (hint) {
      const small = document.createElement("small");
      small.textContent = hint;
      node.appendChild(small);
    }
  }

  function render(s) {
    if (!s.started) {
      setText("r-step", s.finished ? "The session has ended" : "Starting\u2026");
      return;
    }
    document.title = s.step + " \u00b7 voiceguide";
    setText("r-routine", s.routine);
    setText("r-count", "Step " + s.chapter + " of " + s.chapters);
    setText("r-step", s.step);
    $("r-side").hidden = !s.side;
    setText("r-side", s.side || "");
    const counting = s.countdown !== null && !s.waiting;  // as the floor view: a wait has no end while it waits
    setText("r-kind", counting ? KIND[s.countdown_kind] || "" : "");
    setText("r-countdown", counting ? s.countdown_text : "");
    $("r-countdown").classList.toggle("long", counting && s.countdown_text.length > 4);
    $("r-hold").hidden = !counting || s.hold_progress === null;
    if (s.hold_progress !== null) $("r-hold").value = s.hold_progress;
    $("r-breath").hidden = !s.breath;
    setText("r-breath", s.breath ? BREATH[s.breath] || "" : "");
    setText("r-caption", s.caption || "");
    setText("r-note", s.note || "");
    setText("r-next", s.next_step || "the end");
    $("r-progress").value = s.session_progress;
    setText("r-left", clock(s.left) + " left");
    document.body.classList.toggle("paused", s.paused);
    document.body.classList.toggle("waiting", s.waiting);
    const pause = $("r-pause");
    setText("r-pause", s.paused ? "Resume" : "Pause");
    pause.dataset.command = s.paused ? "resume" : "pause";
    if (s.finished) finish();
    else if (s.paused) banner("paused", "Paused");
    else if (s.waiting) banner("waiting", "Waiting", "Tap Next when you are ready");
    else banner(null);
  }

  function finish() {
    ended = true;
    banner("ended", "The session has ended");
    setText("r-caption", "");
    for (const b of buttons) b.disabled = true;
    setText("r-status", "You can close this page.");
    if (source) source.close();
  }

  async function send(command) {
    try {
      const res = await fetch("command/" + command, { method: "POST", cache: "no-store" });
      if (!res.ok) throw new Error(res.status + " " + (await res.text()).trim());
      render(await res.json());
    } catch (err) {
      if (!ended) setText("r-status", "The session did not take that (" + err.message + ").");
    }
  }

  for (const b of buttons) b.addEventListener("click", () => send(b.dataset.command));

  function connect() {
    source = new EventSource("events");
    source.onopen = () => setText("r-status", "");
    source.onmessage = (e) => render(JSON.parse(e.data));
    source.addEventListener("end", (e) => { render(JSON.parse(e.data)); finish(); });
    source.onerror = () => {
      if (ended) return;
      setText("r-status", source.readyState === EventSource.CLOSED ?
        "The session is out of reach (has it ended?)." : "Reconnecting to the session\u2026");
    };
  }

  connect();
})();
