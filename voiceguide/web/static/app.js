// voiceguide's page: lists the sessions and plays one, with its steps (chapters) beside it.
// No framework and no build step; everything comes from the voiceguide server that served this file.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const state = { sessions: [], current: null, step: -1, svgSteps: [], wakeLock: null };

  // ------------------------------------------------------------------ formatting

  function clock(seconds) {
    const s = Math.max(0, Math.floor(seconds + 1e-6));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function length(seconds) {
    const s = Math.round(seconds), m = Math.floor(s / 60), r = s % 60;
    if (m >= 60) return Math.floor(m / 60) + " h " + String(m % 60).padStart(2, "0") + " min";
    return m ? m + " min" + (r ? " " + r + " s" : "") : r + " s";
  }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children || []) if (c) node.appendChild(c);
    return node;
  }

  // ------------------------------------------------------------------ the list

  async function load() {
    $("feed-url").textContent = new URL("feed.xml", location.href).href;
    try {
      const res = await fetch("sessions.json", { cache: "no-cache" });
      if (!res.ok) throw new Error(res.status + " " + res.statusText);
      const data = await res.json();
      state.sessions = data.sessions || [];
    } catch (err) {
      $("status").textContent = "Could not load the sessions (" + err.message + "). Is voiceguide serve still running?";
      return;
    }
    renderList();
    route();
  }

  function renderList() {
    const list = $("sessions");
    list.replaceChildren();
    const n = state.sessions.length;
    $("status").textContent = n ? n + (n === 1 ? " session" : " sessions") :
      "No sessions yet. Render one on the computer: voiceguide render scripts/daily-five.yaml";
    for (const s of state.sessions) {
      const steps = s.chapters.length;
      const link = el("a", { class: "session", href: "#/" + encodeURIComponent(s.name), "data-name": s.name }, [
        el("img", { class: "cover", src: s.cover, alt: "", width: "72", height: "72", loading: "lazy" }),
        el("div", { class: "info" }, [
          el("div", { class: "title", text: s.title }),
          s.summary ? el("div", { class: "summary", text: s.summary }) : null,
          el("div", { class: "meta", text: length(s.duration) + " \u00b7 " + steps + (steps === 1 ? " step" : " steps") }),
        ]),
      ]);
      list.appendChild(el("li", {}, [link]));
    }
  }

  // ------------------------------------------------------------------ routing: #/NAME plays NAME

  function route() {
    const m = location.hash.match(/^#\/(.+)$/);
    const name = m ? decodeURIComponent(m[1]) : null;
    const session = name && state.sessions.find((s) => s.name === name);
    if (session) {
      openSession(session);
    } else {
      if (state.current) audio.pause();
      state.current = null;
      $("player-view").hidden = true;
      $("list-view").hidden = false;
      document.title = "voiceguide";
    }
  }

  // ------------------------------------------------------------------ the player

  function openSession(s) {
    $("list-view").hidden = true;
    $("player-view").hidden = false;
    if (state.current && state.current.name === s.name) return;
    state.current = s;
    state.step = -1;
    document.title = s.title + " \u2013 voiceguide";
    $("p-title").textContent = s.title;
    $("p-summary").textContent = s.summary || "";
    $("p-cover").src = s.cover;
    $("t-total").textContent = clock(s.duration);
    $("seek").max = String(s.duration);
    $("seek").value = "0";
    audio.src = s.audio;
    audio.querySelectorAll("track").forEach((t) => t.remove());
    if (s.captions) {
      const track = document.createElement("track");
      track.kind = "captions";
      track.src = s.captions;
      track.srclang = s.language || "en";
      track.label = "Captions";
      audio.appendChild(track);
    }
    audio.load();
    renderSteps(s);
    loadTimeline(s);
    mediaSession(s);
    update();
    window.scrollTo(0, 0);
  }

  function renderSteps(s) {
    const list = $("steps");
    list.replaceChildren();
    s.chapters.forEach((c, i) => {
      const button = el("button", { type: "button", class: "step", "data-index": String(i) }, [
        el("span", { class: "num", text: String(i + 1) }),
        el("span", { class: "name", text: c.title }),
        el("span", { class: "when", text: clock(c.start) + " \u00b7 " + length(c.end - c.start) }),
      ]);
      button.addEventListener("click", () => seekToStep(i, true));
      list.appendChild(el("li", {}, [button]));
    });
  }

  async function loadTimeline(s) {
    const box = $("timeline");
    box.replaceChildren();
    state.svgSteps = [];
    try {
      const res = await fetch(s.timeline);
      if (!res.ok) throw new Error(res.status);
      const doc = new DOMParser().parseFromString(await res.text(), "image/svg+xml");
      const svg = doc.documentElement;
      if (svg.nodeName !== "svg" || state.current !== s) return;
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      const node = document.importNode(svg, true);
      box.appendChild(node);
      state.svgSteps = Array.from(node.querySelectorAll("g.vg-step"));
      for (const g of state.svgSteps) {
        g.addEventListener("click", () => seekToStep(Number(g.dataset.chapter), true));
      }
      state.step = -1;
      update();
    } catch (err) {
      box.textContent = "The timeline picture could not be loaded.";
    }
  }

  function stepAt(t) {
    const chapters = state.current ? state.current.chapters : [];
    let index = chapters.length ? 0 : -1;
    for (let i = 0; i < chapters.length; i++) {
      if (chapters[i].start <= t + 0.01) index = i;
    }
    return index;
  }

  function seekToStep(i, play) {
    const s = state.current;
    if (!s || i < 0 || i >= s.chapters.length) return;
    audio.currentTime = s.chapters[i].start;
    update();
    if (play) start();
  }

  function start() {
    const p = audio.play();
    if (p && p.catch) p.catch(() => {}); // the user can press Play again
  }

  function update() {
    const s = state.current;
    if (!s) return;
    const t = audio.currentTime || 0;
    const i = stepAt(t);
    if (document.activeElement !== $("seek")) $("seek").value = String(t);
    $("t-cur").textContent = clock(t);
    $("play").textContent = audio.paused ? "Play" : "Pause";
    $("play").setAttribute("aria-label", audio.paused ? "Play" : "Pause");
    if (i >= 0) {
      const c = s.chapters[i];
      $("now-label").textContent = "Step " + (i + 1) + " of " + s.chapters.length;
      $("now-step").textContent = c.title;
      $("now-left").textContent = clock(Math.max(0, c.end - t)) + " left in this step";
    }
    if (i !== state.step) {
      state.step = i;
      document.querySelectorAll("#steps .step").forEach((b, k) => {
        b.classList.toggle("current", k === i);
        if (k === i) b.setAttribute("aria-current", "step");
        else b.removeAttribute("aria-current");
      });
      state.svgSteps.forEach((g) => g.classList.toggle("current", Number(g.dataset.chapter) === i));
      const current = document.querySelector("#steps .step.current");
      if (current && !audio.paused) current.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
    playhead(i, t);
  }

  function playhead(i, t) {
    const g = state.svgSteps[i];
    const old = document.querySelector("#timeline .vg-playhead");
    if (!g) { if (old) old.remove(); return; }
    const strip = g.querySelector(".vg-strip");
    if (!strip) return;
    const start = Number(g.dataset.start), end = Number(g.dataset.end);
    const x0 = Number(strip.getAttribute("x")), w = Number(strip.getAttribute("width"));
    const y = Number(strip.getAttribute("y")), h = Number(strip.getAttribute("height"));
    const x = x0 + (end > start ? Math.min(1, Math.max(0, (t - start) / (end - start))) : 0) * w;
    let line = old;
    if (!line || line.parentNode !== g) {
      if (old) old.remove();
      line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("class", "vg-playhead");
      g.appendChild(line);
    }
    line.setAttribute("x1", x); line.setAttribute("x2", x);
    line.setAttribute("y1", y - 3); line.setAttribute("y2", y + h + 3);
  }

  // lock screen and earbuds: play, pause, skip between steps
  function mediaSession(s) {
    if (!("mediaSession" in navigator)) return;
    try {
      const meta = { title: s.title, artist: s.author || "voiceguide", album: "voiceguide",
        artwork: [{ src: new URL(s.cover, location.href).href, sizes: "1400x1400", type: "image/png" }] };
      meta.chapterInfo = s.chapters.map((c) => ({ title: c.title, startTime: c.start }));
      navigator.mediaSession.metadata = new MediaMetadata(meta);
      const handlers = {
        play: () => start(),
        pause: () => audio.pause(),
        previoustrack: () => seekToStep(Math.max(0, stepBack()), false),
        nexttrack: () => seekToStep(state.step + 1, false),
        seekbackward: () => { audio.currentTime = Math.max(0, audio.currentTime - 15); },
        seekforward: () => { audio.currentTime = Math.min(s.duration, audio.currentTime + 15); },
        seekto: (d) => { audio.currentTime = d.seekTime; },
      };
      for (const [action, fn] of Object.entries(handlers)) {
        try { navigator.mediaSession.setActionHandler(action, fn); } catch (e) { /* not supported here */ }
      }
    } catch (e) { /* an older browser: the page works without it */ }
  }

  // back: to the start of this step, or to the previous one when just after its start
  function stepBack() {
    const s = state.current;
    if (!s || state.step < 0) return 0;
    return audio.currentTime - s.chapters[state.step].start > 3 ? state.step : state.step - 1;
  }

  async function keepAwake(on) {
    try {
      if (on && "wakeLock" in navigator && !state.wakeLock) {
        state.wakeLock = await navigator.wakeLock.request("screen");
        state.wakeLock.addEventListener("release", () => { state.wakeLock = null; });
      } else if (!on && state.wakeLock) {
        await state.wakeLock.release();
        state.wakeLock = null;
      }
    } catch (e) { /* not offered over plain http on the network: fine */ }
  }

  // ------------------------------------------------------------------ wiring

  $("play").addEventListener("click", () => (audio.paused ? start() : audio.pause()));
  $("back15").addEventListener("click", () => { audio.currentTime = Math.max(0, audio.currentTime - 15); });
  $("fwd15").addEventListener("click", () => {
    if (state.current) audio.currentTime = Math.min(state.current.duration, audio.currentTime + 15);
  });
  $("prev").addEventListener("click", () => seekToStep(Math.max(0, stepBack()), false));
  $("next").addEventListener("click", () => seekToStep(state.step + 1, false));
  $("seek").addEventListener("input", () => { audio.currentTime = Number($("seek").value); });
  for (const ev of ["timeupdate", "seeked", "seeking", "loadedmetadata", "play", "pause", "ended"]) {
    audio.addEventListener(ev, update);
  }
  audio.addEventListener("play", () => keepAwake(true));
  audio.addEventListener("pause", () => keepAwake(false));
  document.addEventListener("keydown", (e) => {
    if (!state.current || e.target.closest("input, button, a")) return;
    if (e.key === " ") { e.preventDefault(); audio.paused ? start() : audio.pause(); }
  });
  window.addEventListener("hashchange", route);
  load();
})();
