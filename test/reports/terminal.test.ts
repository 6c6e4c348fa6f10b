// The ink terminal view: live frames per phase, the interactive table's keys, the plain fallback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import type { ProgressEvent, RowKey } from '../../harness/progress.ts';
import { initialLiveState, reduceLive, remainingSeconds, type LiveState } from '../../reports/terminal/live-state.ts';
import { LiveView } from '../../reports/terminal/live-view.tsx';
import { LiveApp, LiveStore } from '../../reports/terminal/live-app.tsx';
import { ResultsView } from '../../reports/terminal/results-view.tsx';
import { renderPlainTable, showResults, startLiveView } from '../../reports/terminal/index.ts';
import { buildFixtureResults } from './fixtures/fixture-results.ts';

const fixture = buildFixtureResults();
const ESC = '\u001B';
const KEYS = { right: `${ESC}[C`, left: `${ESC}[D`, up: `${ESC}[A`, down: `${ESC}[B`, enter: '\r', escape: ESC };
const settle = () => new Promise((r) => setTimeout(r, 30));
// strip colours so assertions read the text a person sees
const plain = (frame: string | undefined) => (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');
const widest = (frame: string | undefined) => Math.max(...plain(frame).split('\n').map((l) => [...l].length));

const wsgi = (target: string): RowKey => ({ scenario: 'python-wsgi', route: '/', target });
const planEvent: ProgressEvent = {
  kind: 'plan',
  rows: ['native', 'kvm-pages', 'kvm-full', 'wasm', 'kvmserver'].map(wsgi),
  settings: { durationSec: 10 },
};

function fold(events: ProgressEvent[], times: number[]): LiveState {
  let s = initialLiveState(0);
  events.forEach((e, i) => (s = reduceLive(s, e, times[i] ?? 0)));
  return s;
}

test('live state folds events into phases, figures and reasons', () => {
  const okRow = fixture.runs.find((r) => r.target === 'native' && r.route === '/')!;
  const s = fold(
    [
      planEvent,
      { kind: 'phase', row: wsgi('native'), phase: 'building' },
      { kind: 'phase', row: wsgi('native'), phase: 'measuring' },
      { kind: 'row-done', row: wsgi('native'), result: okRow },
      { kind: 'phase', row: wsgi('kvm-pages'), phase: 'starting' },
      { kind: 'tick', row: wsgi('kvm-pages'), elapsedSec: 4, totalSec: 10, requests: 400, rps: 100, p50Us: 500, p99Us: 900, errors: 0 },
      { kind: 'phase', row: wsgi('wasm'), phase: 'skipped', reason: 'wasmtime not installed' },
    ],
    [0, 1000, 2000, 12000, 12000, 17000, 17000],
  );
  assert.deepEqual(
    s.rows.map((r) => r.phase),
    ['done', 'measuring', 'pending', 'skipped', 'pending'],
  );
  assert.equal(s.rows[3].reason, 'wasmtime not installed');
  assert.equal(s.rows[1].tick?.rps, 100);
  // native took 11 s from building to done; kvm-pages has 6 s left; two pending rows at 11 s each
  assert.equal(remainingSeconds(s, 17000), 6 + 11 + 11);
});

test('remaining time comes from the configured duration before any row finished, and is unknown without it', () => {
  const s = fold([planEvent], [0]);
  assert.equal(remainingSeconds(s, 0), 50);
  const noDuration = fold([{ ...planEvent, settings: {} }], [0]);
  assert.equal(remainingSeconds(noDuration, 0), undefined);
});

test('live frames show each phase, progress, running figures, reasons, elapsed and remaining time', () => {
  const okRow = fixture.runs.find((r) => r.target === 'native' && r.route === '/')!;
  const events: ProgressEvent[] = [
    planEvent,
    { kind: 'phase', row: wsgi('native'), phase: 'measuring' },
    { kind: 'row-done', row: wsgi('native'), result: okRow },
    { kind: 'phase', row: wsgi('kvm-pages'), phase: 'measuring' },
    { kind: 'tick', row: wsgi('kvm-pages'), elapsedSec: 5, totalSec: 10, requests: 700, rps: 1400.4, p50Us: 548, p99Us: 2770, errors: 0 },
    { kind: 'phase', row: wsgi('kvm-full'), phase: 'warming' },
    { kind: 'phase', row: wsgi('wasm'), phase: 'skipped', reason: 'no wasm runtime for this scenario: wasmtime not installed' },
    { kind: 'phase', row: wsgi('kvmserver'), phase: 'failed', reason: 'server never became ready within 10 s' },
  ];
  const state = fold(events, [0, 0, 10_000, 10_000, 15_000, 15_000, 15_000, 15_000]);
  const { lastFrame, unmount } = render(createElement(LiveView, { state, now: 62_000, width: 80 }));
  const frame = plain(lastFrame());
  unmount();
  assert.match(frame, /isobench run {2}3\/5 done {2}elapsed 1m02s {2}remaining ~5s/);
  assert.match(frame, /^python-wsgi \/$/m);
  assert.match(frame, /native +✔ done .*1905 req\/s {2}p50 +422µs {2}p99 +3\.69ms/);
  assert.match(frame, /kvm-pages +› measuring +█{4}░{4} +5\/10s +1400 r\/s {2}p50 +548µs {2}p99 +2\.77ms/);
  assert.match(frame, /kvm-full +› warming up/);
  assert.match(frame, /wasm +– skipped +no wasm runtime for this scenario/);
  assert.match(frame, /kvmserver +✖ failed +server never became ready within 10 s/);
  assert.ok(widest(frame) <= 79, `a line is wider than 79 columns:\n${frame}`);

  const building = fold([planEvent, { kind: 'phase', row: wsgi('native'), phase: 'building' }], [0, 0]);
  const b = render(createElement(LiveView, { state: building, now: 3000, width: 80 }));
  assert.match(plain(b.lastFrame()), /native +› building +3s/);
  assert.match(plain(b.lastFrame()), /kvm-pages +· pending/);
  b.unmount();
  const starting = fold([planEvent, { kind: 'phase', row: wsgi('native'), phase: 'starting' }], [0, 0]);
  const st = render(createElement(LiveView, { state: starting, now: 1000, width: 80 }));
  assert.match(plain(st.lastFrame()), /native +› starting/);
  st.unmount();
});

test('rows of one scenario and route are gathered under one title even when the plan interleaves them', () => {
  const page = (target: string): RowKey => ({ scenario: 'python-wsgi', route: '/page', target });
  const state = fold([{ kind: 'plan', rows: [wsgi('native'), page('native'), wsgi('kvm-pages'), page('kvm-pages')], settings: {} }], [0]);
  const { lastFrame, unmount } = render(createElement(LiveView, { state, now: 0, width: 80 }));
  const lines = plain(lastFrame()).split('\n');
  unmount();
  assert.deepEqual(lines.slice(1).map((l) => l.trim().split(/\s+/)[0]), ['python-wsgi', 'native', 'kvm-pages', 'python-wsgi', 'native', 'kvm-pages']);
  assert.equal(lines[1], 'python-wsgi /');
  assert.equal(lines[4], 'python-wsgi /page');
});

test('long reasons are cut to the terminal width, not wrapped', () => {
  const reason = 'x'.repeat(200);
  const state = fold([planEvent, { kind: 'phase', row: wsgi('native'), phase: 'failed', reason }], [0, 0]);
  const { lastFrame, unmount } = render(createElement(LiveView, { state, now: 0, width: 80 }));
  const frame = plain(lastFrame());
  unmount();
  assert.ok(widest(frame) <= 79);
  assert.match(frame, /native +✖ failed +x+…$/m);
  assert.equal(frame.split('\n').length, 7, 'header, scenario title and five rows');
});

test('the live app follows the store, then turns into the interactive table when the run finishes', async () => {
  let t = 0;
  const store = new LiveStore(() => t);
  const app = render(createElement(LiveApp, { store, interactive: true, width: 80 }));
  store.dispatch(planEvent);
  store.dispatch({ kind: 'phase', row: wsgi('native'), phase: 'warming' });
  t = 2000;
  await settle();
  assert.match(plain(app.lastFrame()), /native +› warming up/);
  store.dispatch({ kind: 'finished', results: fixture, outFile: 'results/run.json' });
  await settle();
  const frame = plain(app.lastFrame());
  assert.match(frame, /results: results\/run\.json/);
  assert.match(frame, /◀ python-wsgi \/ {2}\(1\/3\) ▶/);
  assert.match(frame, /target +p50 +p90 +p99 +p99\.9 +req\/s +err +isolation +p50÷nat/);
  app.unmount();
});

test('without keyboard input the live app ends after the last frame', async () => {
  const store = new LiveStore(() => 0);
  const app = render(createElement(LiveApp, { store, interactive: false, width: 80 }));
  store.dispatch(planEvent);
  store.dispatch({ kind: 'finished', results: fixture });
  await settle();
  // the final frame rendered is the live view, not the interactive table. (With CI set, ink writes
  // one more, empty, frame when the app exits: look at the last one with content.)
  const last = plain(app.frames.filter((f) => f.trim() !== '').at(-1));
  assert.match(last, /isobench run/);
  assert.doesNotMatch(last, /◀/);
  app.unmount();
});

async function pressed(keys: string[]) {
  let quit = false;
  const app = render(createElement(ResultsView, { doc: fixture, width: 80, onExit: () => (quit = true) }));
  await settle();
  for (const k of keys) {
    app.stdin.write(k);
    await settle();
  }
  const frame = plain(app.lastFrame());
  app.unmount();
  return { frame, quit };
}

function targetOrder(frame: string): string[] {
  const lines = frame.split('\n');
  const header = lines.findIndex((l) => l.startsWith('target'));
  return lines
    .slice(header + 1)
    .map((l) => l.split(/\s+/)[0])
    .filter((t) => /^(native|kvm-|wasm|kvmserver)/.test(t));
}

test('interactive table: rows are targets with every column, and it fits 80 columns', async () => {
  const { frame } = await pressed([]);
  assert.deepEqual(targetOrder(frame), ['native', 'kvm-persist', 'kvm-pages', 'kvm-full', 'kvm-hybrid', 'wasm', 'kvmserver']);
  assert.match(frame, /native +422µs +540µs +3\.69ms +5\.58ms +1905 +0 shared +×1\.00/);
  assert.match(frame, /kvm-hybrid .* 2 isolated +×1\.34/);
  assert.match(frame, /wasm +skipped: no wasm runtime/);
  assert.match(frame, /←\/→ scenario/);
  assert.match(frame, /q quit/);
  assert.ok(widest(frame) <= 79, frame);
});

test('interactive table: ←/→ switch scenario and wrap around', async () => {
  assert.match((await pressed([KEYS.right])).frame, /◀ python-wsgi \/page {2}\(2\/3\) ▶/);
  assert.match((await pressed([KEYS.left])).frame, /◀ deno-react-ssr \/ {2}\(3\/3\) ▶/);
  const deno = (await pressed([KEYS.left])).frame;
  assert.match(deno, /kvm-full +failed: guest exceeded its per-request memory limit/);
});

test('interactive table: number keys sort by a column, twice reverses, 0 restores the run order', async () => {
  const byP50 = targetOrder((await pressed(['1'])).frame);
  assert.deepEqual(byP50.slice(0, 5), ['native', 'kvm-persist', 'kvm-pages', 'kvm-hybrid', 'kvm-full']);
  assert.deepEqual(byP50.slice(5), ['wasm', 'kvmserver'], 'unmeasured rows stay last');
  const reversed = targetOrder((await pressed(['1', '1'])).frame);
  assert.deepEqual(reversed.slice(0, 5), ['kvm-full', 'kvm-hybrid', 'kvm-pages', 'kvm-persist', 'native']);
  const byP99 = await pressed(['3']);
  assert.match(byP99.frame, /▲p99/);
  assert.deepEqual(targetOrder(byP99.frame).slice(0, 2), ['kvm-pages', 'kvm-hybrid']);
  const byRps = targetOrder((await pressed(['5'])).frame);
  assert.equal(byRps[0], 'native', 'req/s sorts highest first');
  const restored = targetOrder((await pressed(['1', '0'])).frame);
  assert.deepEqual(restored, ['native', 'kvm-persist', 'kvm-pages', 'kvm-full', 'kvm-hybrid', 'wasm', 'kvmserver']);
});

test('interactive table: a toggles absolute µs and ratios to native', async () => {
  const { frame } = await pressed(['a']);
  assert.match(frame, /ratio to native/);
  assert.match(frame, /native +×1\.00 +×1\.00 +×1\.00 +×1\.00 +×1\.00/);
  assert.match(frame, /kvm-full +×2\.08/);
  const back = await pressed(['a', 'a']);
  assert.match(back.frame, /absolute µs/);
  assert.match(back.frame, /native +422µs/);
});

test('interactive table: enter opens the percentile bars of the selected target, with native for reference', async () => {
  const { frame } = await pressed([KEYS.down, KEYS.down, KEYS.enter]);
  assert.match(frame, /python-wsgi \/ · kvm-pages · latency percentiles/);
  for (const label of ['p50', 'p90', 'p99', 'p99.9', 'max']) assert.match(frame, new RegExp(`^${label.replace('.', '\\.')} +\\S+ █+`, 'm'));
  assert.match(frame, /█+ native$/m);
  assert.ok(widest(frame) <= 79, frame);
  const next = await pressed([KEYS.down, KEYS.down, KEYS.enter, KEYS.down]);
  assert.match(next.frame, /· kvm-full ·/, '↓ moves to the next target inside the bar view');
  const back = await pressed([KEYS.enter, KEYS.escape]);
  assert.match(back.frame, /target +p50/);
  const skipped = await pressed([KEYS.up, ...Array(5).fill(KEYS.down), KEYS.enter]);
  assert.match(skipped.frame, /wasm +skipped: no wasm runtime/);
});

test('interactive table: q quits', async () => {
  assert.equal((await pressed([])).quit, false);
  assert.equal((await pressed(['q'])).quit, true);
});

function captureStream(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

test('not a terminal: the live view prints one line per finished row, then the plain table', async () => {
  const out = captureStream(false);
  const view = startLiveView({ stdout: out.stream });
  const ok = fixture.runs.find((r) => r.target === 'native' && r.route === '/')!;
  const wasm = fixture.runs.find((r) => r.target === 'wasm' && r.route === '/')!;
  view.listener(planEvent);
  view.listener({ kind: 'phase', row: wsgi('native'), phase: 'measuring' });
  view.listener({ kind: 'tick', row: wsgi('native'), elapsedSec: 1, totalSec: 10, requests: 1, rps: 1, p50Us: 1, p99Us: 1, errors: 0 });
  view.listener({ kind: 'row-done', row: wsgi('native'), result: ok });
  view.listener({ kind: 'phase', row: wsgi('wasm'), phase: 'skipped', reason: wasm.reason });
  view.listener({ kind: 'row-done', row: wsgi('wasm'), result: wasm });
  view.listener({ kind: 'finished', results: fixture, outFile: 'results/x.json' });
  await view.waitUntilExit();
  const text = out.text();
  assert.doesNotMatch(text, /\u001B\[/, 'no escape sequences in a pipe');
  assert.match(text, /^python-wsgi \/ native: done {2}1905 req\/s {2}p50 422µs {2}p99 3\.69ms$/m);
  assert.equal(text.match(/python-wsgi \/ wasm: skipped/g)?.length, 1, 'a skipped row is reported once');
  assert.ok(text.includes(renderPlainTable(fixture)));
  assert.match(text, /results: results\/x\.json\n$/);
});

test('with writeHtml the finished run also gets its HTML report next to the results JSON', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-live-'));
  try {
    const out = captureStream(false);
    const view = startLiveView({ stdout: out.stream, writeHtml: true });
    view.listener({ kind: 'finished', results: fixture, outFile: join(dir, 'run.json') });
    await view.waitUntilExit();
    assert.ok(existsSync(join(dir, 'run.html')));
    assert.match(out.text(), new RegExp(`report: ${join(dir, 'run.html')}\\n$`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--no-tui gives the plain output even on a terminal', async () => {
  const out = captureStream(true);
  const view = startLiveView({ stdout: out.stream, noTui: true });
  view.listener({ kind: 'finished', results: fixture });
  await view.waitUntilExit();
  assert.ok(out.text().includes(renderPlainTable(fixture)));
});

test('plain table: one block per scenario, reasons whole, native-less scenarios say ratios are unavailable', () => {
  const text = renderPlainTable(fixture);
  assert.equal(text.match(/^target +p50/gm)?.length, 3);
  assert.match(text, /kvm-full +failed: guest exceeded its per-request memory limit \(256 MiB\) during warm-up$/m);
  const noNative = { ...fixture, runs: fixture.runs.filter((r) => r.target !== 'native') };
  assert.match(renderPlainTable(noNative), /no measured native row: ratios not available/);
  assert.match(renderPlainTable({ ...fixture, runs: [] }), /no runs in this results document/);
});

test('showResults prints the plain table when stdout is not a terminal', async () => {
  const out = captureStream(false);
  await showResults(fixture, { stdout: out.stream });
  assert.equal(out.text(), renderPlainTable(fixture));
});

test('with --requests the live row counts requests and the remaining time follows the rate', () => {
  const ticked = fold(
    [
      { ...planEvent, rows: [wsgi('native')], settings: { requests: 100 } },
      { kind: 'phase', row: wsgi('native'), phase: 'measuring' },
      { kind: 'tick', row: wsgi('native'), elapsedSec: 2, totalSec: 0, totalRequests: 100, requests: 40, rps: 20, p50Us: 300, p99Us: 900, errors: 0 },
    ],
    [0, 0, 2000],
  );
  // 60 requests left at 20 req/s
  assert.equal(remainingSeconds(ticked, 2000), 3);
  const { lastFrame, unmount } = render(createElement(LiveView, { state: ticked, now: 2000, width: 80 }));
  const frame = plain(lastFrame());
  unmount();
  assert.match(frame, /native +› measuring +█{3}░{5} 40\/100 req +20\.0 r\/s/);
  assert.doesNotMatch(frame, /\/0s/);
  assert.match(frame, /remaining ~3s/);
});
