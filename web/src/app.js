// app.js - the recad page: program editor, parameter sliders, 3D view, render sheet, downloads,
// generation from a description or an image. Talks to `recad serve` (docs/web.md has the API).
import { createEditor, showError, posOf } from './editor.js';
import { PartView } from './view.js';
import { renderParams, updateParams, sameNames, formatValue } from './params.js';

const DEFAULT_PROGRAM = `-- a plate with four corner holes: drag the sliders below
local w, d, t = 60, 40, 6          -- plate width, depth, thickness
local r, m = 3, 8                  -- hole radius, margin
local holes = {}
for _, x in ipairs{m, w - m} do
  for _, y in ipairs{m, d - m} do holes[#holes + 1] = Loop(Circle(x, y, r)) end
end
local plate = Loop(Line(0,0, w,0), Line(w,0, w,d), Line(w,d, 0,d), Line(0,d, 0,0))
Extrude(Sketch(XY, Face(plate, table.unpack(holes))), t, "new")
`;

const $ = (id) => document.getElementById(id);

// what the page knows; window.recad exposes it to the browser tests
const state = {
  params: [],        // as the server reported them, with from/to mapped through later edits
  result: null,      // the last successful execute reply
  error: null,       // {message, line} of the last failing program
  draws: 0,          // parts drawn so far
  timings: [],       // ms from an edit to the redraw that shows it
  inFlight: false,
  pending: false,    // an edit arrived while a request was running
  firstEditAt: null, // performance.now() of the oldest edit not yet drawn
  sheetTimer: 0,
};

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return r;
}

async function postJSON(path, body) {
  const r = await post(path, body);
  let j;
  try { j = await r.json(); } catch { j = { error: `server answered ${r.status} without JSON` }; }
  return { status: r.status, body: j };
}

// ---- editor and parameters ----
const editor = createEditor($('editor'), DEFAULT_PROGRAM, (u) => {
  for (const p of state.params) { p.from = u.changes.mapPos(p.from, -1); p.to = u.changes.mapPos(p.to, 1); }
  edited();
});

function setParams(params, doc) {
  for (const p of params) { p.from = posOf(doc, p.line, p.col); p.to = p.from + p.len; }
  const keep = sameNames(params, state.params);
  state.params = params;
  if (keep) updateParams($('params'), params);
  else renderParams($('params'), params, onSlider);
}

function onSlider(i, value) {
  const p = state.params[i];
  if (!p || p.from < 0) return;
  p.value = value;
  editor.dispatch({ changes: { from: p.from, to: p.to, insert: formatValue(value, p.decimals) } });
}

// ---- execution: one request at a time, the latest text wins ----
function edited() {
  if (state.firstEditAt === null) state.firstEditAt = performance.now();
  clearTimeout(state.sheetTimer);
  if (state.inFlight) { state.pending = true; return; }
  execute();
}

async function execute() {
  state.inFlight = true;
  state.pending = false;
  const editAt = state.firstEditAt;
  state.firstEditAt = null;
  const text = editor.state.doc.toString();
  let reply;
  try {
    reply = await postJSON('/api/execute', { program: text });
  } catch (e) {
    reply = { status: 0, body: { error: `cannot reach the server: ${e.message}` } };
  }
  const current = editor.state.doc.toString() === text;
  if (current && reply.body.params) setParams(reply.body.params, editor.state.doc);
  if (reply.status === 200) showPart(reply.body, text);
  else if (current) showProgramError(reply.body);
  if (editAt !== null) {
    await new Promise((res) => requestAnimationFrame(() => res()));
    if (reply.status === 200) state.timings.push(performance.now() - editAt);
  }
  state.inFlight = false;
  if (state.pending) execute();
  else if (reply.status === 200) state.sheetTimer = setTimeout(() => loadSheet(text), 300);
}

function fmt(x) { return Number(x).toLocaleString('en-US', { maximumFractionDigits: 2 }); }

function showPart(r, text) {
  state.result = r;
  state.error = null;
  state.program = text;
  showError(editor, 0, null);
  $('error').hidden = true;
  $('level').textContent = r.level;
  $('volume').textContent = fmt(r.volume);
  $('volume').dataset.value = r.volume;
  const s = r.bbox.max.map((v, k) => v - r.bbox.min[k]);
  $('bbox').textContent = s.map(fmt).join(' × ');
  $('timing').textContent = `${r.ms.total.toFixed(1)} ms server`;
  view.setMesh(r.mesh);
  state.draws++;
}

function showProgramError(r) {
  state.error = { message: r.error, line: r.line || 0 };
  $('error').textContent = r.error;
  $('error').hidden = false;
  showError(editor, r.line || 0, r.error);
}

async function loadSheet(text) {
  if (editor.state.doc.toString() !== text) return;
  const r = await postJSON('/api/execute', { program: text, mesh: false, sheet: true });
  if (r.status === 200 && r.body.sheet && editor.state.doc.toString() === text) $('sheet').src = r.body.sheet;
}

// ---- downloads ----
async function download(format) {
  const r = await post('/api/export', { program: editor.state.doc.toString(), format });
  if (r.status !== 200) {
    let msg = `export failed (${r.status})`;
    try { msg = (await r.json()).error; } catch { /* keep the status */ }
    $('error').textContent = msg;
    $('error').hidden = false;
    return;
  }
  const blob = await r.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `part.${format}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
for (const f of ['stl', 'obj', 'step', 'lua']) $(`dl-${f}`).addEventListener('click', () => download(f));

// ---- generation from a description or an image ----
async function generate(body) {
  $('gen-status').textContent = 'generating...';
  const r = await postJSON('/api/generate', body);
  if (r.status === 200 && r.body.program) {
    $('gen-status').textContent = '';
    editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: r.body.program } });
    view.fitted = false;
  } else {
    $('gen-status').textContent = `generation: ${r.body.error}`;
  }
}

$('gen-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const prompt = $('prompt').value.trim();
  if (prompt) generate({ prompt });
});

// an image, scaled to at most 512 pixels a side, as a PNG data URL (the body limit is 1 MB)
function imageData(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const k = Math.min(1, 512 / Math.max(img.width, img.height));
      const c = document.createElement('canvas');
      c.width = Math.max(1, Math.round(img.width * k));
      c.height = Math.max(1, Math.round(img.height * k));
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(img.src);
      resolve(c.toDataURL('image/png'));
    };
    img.onerror = () => reject(new Error('not an image'));
    img.src = URL.createObjectURL(file);
  });
}

async function useImage(file) {
  try { generate({ image: await imageData(file), prompt: $('prompt').value.trim() }); }
  catch (e) { $('gen-status').textContent = `image: ${e.message}`; }
}
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) useImage(e.dataTransfer.files[0]);
});
$('image').addEventListener('change', (e) => { if (e.target.files[0]) useImage(e.target.files[0]); });

// ---- start ----
const view = new PartView($('view'));
if (!view.ok) {
  $('view-note').textContent = `3D view unavailable (WebGL: ${view.error}); the render sheet below still shows the part`;
  $('view-note').hidden = false;
}
$('fit').addEventListener('click', () => view.fit());

window.recad = {
  state,
  editor,
  view,
  // replaces the whole program (tests, and a program handed over by a link)
  setProgram(text) { view.fitted = false; editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } }); },
};
edited();
