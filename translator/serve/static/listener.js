// The listener page: pick a language, hear it (Opus over a WebSocket, decoded by WebCodecs,
// scheduled with a small jitter buffer) and read it (Server-Sent Events; finals are appended,
// never rewritten). Reconnects by itself and resumes at the live point.
'use strict';
(() => {
  const code = new URLSearchParams(location.search).get('code');
  const JITTER_S = 0.25;       // audio buffered ahead of the play head after a (re)start
  const MAX_AHEAD_S = 30;      // a translation arrives faster than real time; beyond this, start over
  const LIVE_GAP_MS = 1500;    // no audio for this long: "waiting for speech"
  const $ = (id) => document.getElementById(id);
  const stateEl = $('state');
  let lang = null, ctx = null, ws = null, events = null, decoder = null;
  let playhead = 0, lastAudioAt = 0, lastSeq = 0, retries = 0, ended = false;

  function url(path, extra, socket) {
    const u = new URL(path, location.href);
    for (const [k, v] of Object.entries(extra || {})) u.searchParams.set(k, v);
    if (code) u.searchParams.set('code', code);
    if (socket) u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.toString();
  }

  function setState(state, text) {
    if (stateEl.dataset.state === state) return;
    stateEl.dataset.state = state;
    stateEl.textContent = text;
  }

  function refreshState() {
    if (!lang || ended) return;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - lastAudioAt < LIVE_GAP_MS) setState('live', 'Live');
    else setState('waiting', 'Waiting for speech');
  }

  function languageName(tag) {
    if (tag === 'original') return 'Original';
    try { return new Intl.DisplayNames([navigator.language || 'en'], { type: 'language' }).of(tag) || tag; }
    catch (e) { return tag; }
  }

  async function init() {
    const info = await (await fetch(url('info.json'))).json();
    if (info.title) { $('title').textContent = info.title; document.title = info.title; }
    for (const tag of info.languages) {
      const b = document.createElement('button');
      b.textContent = languageName(tag);
      b.dataset.lang = tag;
      b.setAttribute('aria-pressed', 'false');
      b.addEventListener('click', () => choose(tag));
      $('languages').appendChild(b);
    }
    if (typeof AudioDecoder === 'undefined') {
      const note = $('note');
      note.hidden = false;
      note.textContent = 'Captions only: audio needs a browser with WebCodecs (Chrome, Edge, Firefox 130+, Safari 26+) on https:// or this machine.';
    }
    setInterval(refreshState, 500);
  }

  function choose(tag) {
    // The tap that chose the language also unlocks audio (mobile autoplay rules).
    if (!ctx) ctx = new AudioContext({ latencyHint: 'interactive' });
    ctx.resume();
    if (lang === tag) return;
    lang = tag;
    ended = false;
    for (const b of $('languages').children) b.setAttribute('aria-pressed', String(b.dataset.lang === tag));
    $('finals').textContent = '';
    $('partial').textContent = '';
    lastSeq = 0;
    retries = 0;
    openCaptions();
    openAudio();
  }

  // -- captions ----------------------------------------------------------------------------
  function openCaptions() {
    if (events) events.close();
    const source = new EventSource(url('events', { lang, after: String(lastSeq) }));
    events = source;
    source.onmessage = (m) => { if (source === events) caption(JSON.parse(m.data)); };
    source.addEventListener('end', () => { source.close(); ended = true; setState('ended', 'Ended'); });
    source.onerror = () => {
      if (source !== events || ended) return;
      if (source.readyState === EventSource.CLOSED) setTimeout(() => { if (source === events) openCaptions(); }, 1000);
    };
  }

  function caption(c) {
    const partial = $('partial');
    if (c.kind === 'final') {
      if (c.seq <= lastSeq) return;            // already shown (append-only, never twice)
      lastSeq = c.seq;
      const p = document.createElement('p');
      p.textContent = c.text;
      p.dataset.seq = c.seq;
      $('finals').appendChild(p);
      if (partial.dataset.utterance === c.utterance) { partial.textContent = ''; partial.dataset.utterance = ''; }
      p.scrollIntoView({ block: 'end' });
    } else if (c.kind === 'partial') {
      partial.textContent = c.text;
      partial.dataset.utterance = c.utterance;
    } else if (c.kind === 'clear') {
      partial.textContent = '';
      partial.dataset.utterance = '';
    }
  }

  // -- audio -------------------------------------------------------------------------------
  function openAudio() {
    if (ws) { ws.onclose = null; ws.close(); }
    setState(retries ? 'reconnecting' : 'connecting', retries ? 'Reconnecting…' : 'Connecting…');
    const sock = new WebSocket(url('audio/' + encodeURIComponent(lang), {}, true));
    sock.binaryType = 'arraybuffer';
    ws = sock;
    sock.onopen = () => { retries = 0; newDecoder(); refreshState(); };
    sock.onmessage = (m) => { if (typeof m.data !== 'string') audio(new DataView(m.data)); };
    sock.onclose = () => {
      if (sock !== ws || ended) return;
      retries += 1;
      setState('reconnecting', 'Reconnecting…');
      setTimeout(() => { if (sock === ws && !ended) openAudio(); }, Math.min(5000, 500 * retries));
    };
  }

  function newDecoder() {
    if (typeof AudioDecoder === 'undefined') return;
    if (decoder && decoder.state !== 'closed') decoder.close();
    decoder = new AudioDecoder({ output: play, error: (e) => console.warn('decoder', e) });
    decoder.configure({ codec: 'opus', sampleRate: 48000, numberOfChannels: 1 });
    playhead = 0;   // resume at the live point
  }

  function audio(view) {
    if (view.getUint8(0) !== 1) return;
    let pos = 1;
    while (pos + 6 <= view.byteLength) {
      const seq = view.getUint32(pos);
      const size = view.getUint16(pos + 4);
      pos += 6;
      const data = new Uint8Array(view.buffer, view.byteOffset + pos, size);
      pos += size;
      if (decoder && decoder.state === 'configured') {
        decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: seq * 20000, data }));
      }
    }
    lastAudioAt = performance.now();
    refreshState();
  }

  function play(data) {
    const n = data.numberOfFrames;
    const samples = new Float32Array(n);
    data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    const buffer = ctx.createBuffer(1, n, data.sampleRate);
    data.close();
    buffer.copyToChannel(samples, 0);
    const now = ctx.currentTime;
    if (playhead < now + 0.01 || playhead > now + MAX_AHEAD_S) {
      if (playhead) stateEl.dataset.restarts = String(Number(stateEl.dataset.restarts || 0) + 1);
      playhead = now + JITTER_S;
    }
    const node = ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(ctx.destination);
    node.start(playhead);
    playhead += buffer.duration;
  }

  init().catch((e) => setState('error', 'Cannot load: ' + e));
})();
