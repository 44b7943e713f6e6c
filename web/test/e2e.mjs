// e2e.mjs - the page in headless Chromium (playwright-core, /usr/bin/chromium): load a program,
// generation's error, a slider changes the volume (timed: edit -> redraw), an edit in the editor,
// a broken program's error at its line, an STL download that is a closed mesh of the right volume.
//
//   node web/test/e2e.mjs [--url http://127.0.0.1:PORT] [--shots DIR] [--moves N (default 12, at most 29)]
//   node web/test/e2e.mjs --url URL --generate PROMPT --expect TEXT
//       against a server with a generation model: the prompt box gives a program containing TEXT,
//       which draws; only the load and this step run
// Without --url it starts `build/recad serve --port 0` itself. Prints one line per check and ends
// with "e2e: N passed, N failed"; exit status 0 when all passed, 1 otherwise, 2 when it could not run.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const CHROMIUM = process.env.RECAD_CHROMIUM || '/usr/bin/chromium';
const shots = opt('--shots', null);
const moves = Number(opt('--moves', '12'));
const genPrompt = opt('--generate', null), genExpect = opt('--expect', '');
let passed = 0, failed = 0;

function check(ok, what, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`e2e: ${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
}

async function startServer() {
  const url = opt('--url', null);
  if (url) return { url, stop() {} };
  const p = spawn('build/recad', ['serve', '--port', '0', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const found = await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => { out += d; const m = out.match(/http:\/\/[\d.]+:\d+\//); if (m) resolve(m[0]); });
    p.on('exit', (c) => reject(new Error(`recad serve exited with ${c}`)));
  });
  return { url: found, stop() { p.kill('SIGTERM'); } };
}

// a binary STL: triangle count, closedness (every directed edge matched by its reverse once the
// vertices are welded by exact coordinates) and enclosed volume
function stlCheck(buf) {
  const n = buf.readUInt32LE(80);
  if (buf.length !== 84 + 50 * n) return { ok: false, why: `size ${buf.length} is not 84 + 50 * ${n}` };
  const ids = new Map(), edges = new Map();
  let vol = 0;
  const vid = (o) => { const k = `${buf.readFloatLE(o)},${buf.readFloatLE(o + 4)},${buf.readFloatLE(o + 8)}`; if (!ids.has(k)) ids.set(k, ids.size); return ids.get(k); };
  for (let t = 0; t < n; t++) {
    const o = 84 + 50 * t + 12;
    const v = [0, 1, 2].map((k) => [buf.readFloatLE(o + 12 * k), buf.readFloatLE(o + 12 * k + 4), buf.readFloatLE(o + 12 * k + 8)]);
    const [a, b, c] = v;
    vol += (a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0])) / 6;
    const i = [vid(o), vid(o + 12), vid(o + 24)];
    for (let k = 0; k < 3; k++) {
      const key = `${i[k]}>${i[(k + 1) % 3]}`;
      edges.set(key, (edges.get(key) || 0) + 1);
    }
  }
  let open = 0;
  for (const [key, cnt] of edges) {
    const [a, b] = key.split('>');
    if ((edges.get(`${b}>${a}`) || 0) !== cnt) open++;
  }
  return { ok: open === 0, n, vol, open };
}

const pct = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

async function main() {
  if (!existsSync(CHROMIUM)) { console.log(`e2e: cannot run: no ${CHROMIUM} (apt-get install chromium)`); process.exit(2); }
  if (shots) mkdirSync(shots, { recursive: true });
  const server = await startServer();
  const profile = mkdtempSync(join(tmpdir(), 'recad-e2e-'));
  // a fresh profile folder (--user-data-dir, which playwright passes for a persistent context)
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--enable-unsafe-swiftshader'],
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    const shot = async (name) => { if (shots) await page.screenshot({ path: join(shots, `${name}.png`) }); };
    const draws = () => page.evaluate(() => window.recad.state.draws);
    const volume = () => page.evaluate(() => Number(document.getElementById('volume').dataset.value));
    const waitDraws = (n) => page.waitForFunction((k) => window.recad.state.draws >= k && !window.recad.state.inFlight, n, { timeout: 10000 });

    // 1. load the page with a program
    await page.goto(server.url);
    await page.waitForFunction(() => window.recad && window.recad.state.draws >= 1, null, { timeout: 15000 });
    const plate = readFileSync('examples/plate.lua', 'utf8');
    let n0 = await draws();
    await page.evaluate((t) => window.recad.setProgram(t), plate);
    await waitDraws(n0 + 1);
    const v0 = await volume();
    check(Math.abs(v0 - 13721.41598682461) < 1e-6 * v0, 'plate.lua loads and draws', `volume ${v0.toFixed(3)} mm^3`);
    check(await page.evaluate(() => window.recad.view.ok), 'the 3D view has WebGL');
    const names = await page.$$eval('.param', (rows) => rows.map((r) => r.dataset.name).join(','));
    check(names === 'w,d,t,r,m', 'the parameters are listed as sliders', names);
    await page.waitForFunction(() => document.getElementById('sheet').naturalWidth > 0, null, { timeout: 10000 });
    check(await page.$eval('#sheet', (im) => im.naturalWidth) === 512, 'the render sheet is shown');
    await shot('01-loaded');

    if (genPrompt) {
      // 2'. generation with a model: the program arrives in the editor and draws
      n0 = await draws();
      await page.fill('#prompt', genPrompt);
      await page.click('#gen-btn');
      await page.waitForFunction((t) => window.recad.editor.state.doc.toString().includes(t), genExpect, { timeout: 20000 });
      await waitDraws(n0 + 1);
      const vg = await volume();
      check(vg > 0, 'generate from a prompt: the program is in the editor and the part draws', `volume ${vg.toFixed(3)} mm^3`);
      await shot('02-generated');
      await browser.close();
      server.stop();
      rmSync(profile, { recursive: true, force: true });
      console.log(`e2e: ${passed} passed, ${failed} failed`);
      process.exit(failed ? 1 : 0);
    }
    // 2. generation has no model yet: its error is shown
    await page.fill('#prompt', 'a 60 x 40 plate with four corner holes');
    await page.click('#gen-btn');
    await page.waitForFunction(() => document.getElementById('gen-status').textContent.includes('no generation model loaded'), null, { timeout: 5000 });
    check(true, 'generate shows "no generation model loaded"');
    await shot('02-generate');

    // 3. a slider: thickness t 6 -> 6 + moves, one step per key press; each redraw timed
    const slider = page.locator('.param[data-name="t"] input[type=range]');
    await slider.focus();
    const timings0 = await page.evaluate(() => window.recad.state.timings.length);
    // the slider's range is 0..18 (3 t): up to 12 steps right, the rest back left
    const up = Math.min(moves, 12), down = Math.min(moves - up, 17);
    for (let i = 0; i < up + down; i++) {
      n0 = await draws();
      await page.keyboard.press(i < up ? 'ArrowRight' : 'ArrowLeft');
      await waitDraws(n0 + 1);
    }
    const t1 = 6 + up - down, v1 = await volume();
    check(Math.abs(v1 - (v0 / 6) * t1) < 1e-6 * v1, `slider t -> ${t1} scales the volume`, `${v0.toFixed(1)} -> ${v1.toFixed(1)}`);
    const text1 = await page.evaluate(() => window.recad.editor.state.doc.toString());
    check(text1.includes(`local w, d, t = 60, 40, ${t1} `), 'the slider rewrote the literal in the program');
    const times = (await page.evaluate(() => window.recad.state.timings)).slice(timings0);
    const p50 = pct(times, 0.5), max = Math.max(...times);
    console.log(`e2e: slider edit -> redraw over ${times.length} moves: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    check(times.length === up + down && p50 < 100, `${up + down} slider moves redraw in under 100 ms (p50)`, `p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
    await page.waitForTimeout(500);
    await shot('03-slider');

    // 4. edit the code: type a boss at the end of the program
    n0 = await draws();
    await page.click('.cm-content');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('Extrude(Sketch(XY, Face(Loop(Circle(30, 20, 5)))), {0, 4}, "join")\n');
    await page.waitForFunction(() => window.recad.editor.state.doc.toString().includes('{0, 4}, "join")'), null, { timeout: 5000 })
    await waitDraws(n0 + 1);
    await page.waitForFunction((v) => Math.abs(Number(document.getElementById('volume').dataset.value) - v) < 1e-3 * v, v1 + Math.PI * 25 * 4, { timeout: 5000 }).catch(() => {});
    const v2 = await volume();
    check(Math.abs(v2 - (v1 + Math.PI * 25 * 4)) < 1e-3 * v2, 'typing an extrude adds its volume', `${v1.toFixed(1)} -> ${v2.toFixed(1)}`);
    check(await page.evaluate(() => window.recad.state.result.level) === 'MSE', 'the level follows (MSE)');
    await page.waitForTimeout(500);
    await shot('04-edit');

    // 5. a broken program: the error is shown at its line
    const good = await page.evaluate(() => window.recad.editor.state.doc.toString());
    await page.evaluate(() => { const v = window.recad.editor; const l = v.state.doc.line(4); v.dispatch({ changes: { from: l.from, insert: 'local x = = 3\n' } }); });
    await page.waitForSelector('.cm-error-line', { timeout: 5000 });
    const err = await page.evaluate(() => window.recad.state.error);
    const errLineText = await page.$eval('.cm-error-line', (el) => el.textContent);
    check(err && err.line === 4 && /^program:4: /.test(err.message), 'the syntax error names line 4', err && err.message);
    check(errLineText.startsWith('local x = = 3'), 'the highlighted editor line is the broken one');
    check(await page.isVisible('#error'), 'the error message is shown');
    await shot('05-error');
    n0 = await draws();
    await page.evaluate((t) => window.recad.setProgram(t), good);
    await waitDraws(n0 + 1);
    check(await page.$$eval('.cm-error-line', (els) => els.length) === 0, 'fixing the program clears the error');

    // 6. download the STL: a closed mesh with the part's volume; and the program
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-stl')]);
    const stl = stlCheck(readFileSync(await dl.path()));
    check(stl.ok, 'the STL is a closed mesh', `${stl.n} triangles, ${stl.open} unmatched edges`);
    check(Math.abs(stl.vol - v2) < 1e-3 * v2, 'the STL volume matches the part', `${stl.vol && stl.vol.toFixed(1)} vs ${v2.toFixed(1)}`);
    const [dl2] = await Promise.all([page.waitForEvent('download'), page.click('#dl-lua')]);
    check(readFileSync(await dl2.path(), 'utf8') === good, 'the program download is the editor text');
    await shot('06-download');
    check(pageErrors.length === 0, 'no JavaScript errors', pageErrors.join('; '));
  } finally {
    await browser.close();
    server.stop();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log(`e2e: FAIL ${e.stack || e}`); console.log(`e2e: ${passed} passed, ${failed + 1} failed`); process.exit(1); });
