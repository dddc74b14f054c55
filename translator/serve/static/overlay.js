// The caption overlay (OBS browser source, projector): transparent, the last few lines of one
// language, each leaving after `linger` seconds. Query: lang, lines, size (px), position
// (bottom|top|middle), bilingual (1: the original above each line), linger (s), bg (dark), code.
'use strict';
(() => {
  const q = new URLSearchParams(location.search);
  const code = q.get('code');
  const lines = Math.max(1, parseInt(q.get('lines') || '2', 10));
  const linger = Math.max(1, parseFloat(q.get('linger') || '8'));
  const bilingual = ['1', 'true', 'yes'].includes((q.get('bilingual') || '').toLowerCase());
  const box = document.getElementById('box');
  const list = document.getElementById('lines');
  const partial = document.getElementById('partial');
  box.style.fontSize = (parseInt(q.get('size') || '42', 10)) + 'px';
  const position = q.get('position') || 'bottom';
  if (position === 'top' || position === 'middle') document.body.classList.add(position);
  if (q.get('bg') === 'dark') document.body.classList.add('dark');
  let lastSeq = 0;
  let source = null;

  function url(path, extra) {
    const u = new URL(path, location.href);
    for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    if (code) u.searchParams.set('code', code);
    return u.toString();
  }

  function show(c) {
    const div = document.createElement('div');
    div.className = 'line';
    if (bilingual && c.source) {
      const s = document.createElement('span');
      s.className = 'source';
      s.textContent = c.source;
      div.appendChild(s);
    }
    div.appendChild(document.createTextNode(c.text));
    list.appendChild(div);
    while (list.children.length > lines) list.removeChild(list.firstChild);
    setTimeout(() => div.remove(), linger * 1000);
  }

  async function start() {
    let lang = q.get('lang');
    if (!lang) {
      const info = await (await fetch(url('info.json', {}))).json();
      lang = info.languages[0];
    }
    const open = () => {
      const es = new EventSource(url('events', { lang, after: String(lastSeq) }));
      source = es;
      es.onmessage = (m) => {
        const c = JSON.parse(m.data);
        if (c.kind === 'final') {
          if (c.seq <= lastSeq) return;
          lastSeq = c.seq;
          if (partial.dataset.utterance === c.utterance) partial.textContent = '';
          show(c);
        } else if (c.kind === 'partial') {
          partial.textContent = c.text;
          partial.dataset.utterance = c.utterance;
        } else if (c.kind === 'clear') {
          partial.textContent = '';
        }
      };
      es.addEventListener('end', () => es.close());
      es.onerror = () => { if (es.readyState === EventSource.CLOSED && es === source) setTimeout(open, 1000); };
    };
    open();
  }
  start();
})();
