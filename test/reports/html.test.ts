// The HTML report: content and honesty checks in Node, then a real headless Chromium load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFixtureResults } from './fixtures/fixture-results.ts';
import { htmlPathFor, renderHtmlReport, writeHtmlReport } from '../../reports/html/index.ts';
import { flattenSettings } from '../../reports/html/page.ts';
import { buildReportModel } from '../../reports/html/model.ts';
import { chromiumMissingReason, visitReport } from '../../reports/html/browser.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';

const full = buildFixtureResults({ withSections: true });

function embedded(html: string): ReturnType<typeof buildReportModel> {
  const m = html.match(/<script type="application\/json" id="isobench-data">([\s\S]*?)<\/script>/);
  assert.ok(m, 'the model is embedded as JSON');
  return JSON.parse(m[1]);
}

test('the report is one file: chart.js inlined, nothing referenced from outside', () => {
  const html = renderHtmlReport(full);
  assert.match(html, /Chart\.js v4\.6\.1/);
  assert.doesNotMatch(html, /<script[^>]+src=/i);
  assert.doesNotMatch(html, /<link[^>]+href=/i);
  assert.doesNotMatch(html, /(src|href)="https?:/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

test('the histograms are decoded at generation time into percentile-spectrum points', () => {
  const model = embedded(renderHtmlReport(full));
  const native = model.scenarios[0].measured.find((t) => t.target === 'native')!;
  const run = full.runs.find((r) => r.target === 'native' && r.route === '/')!;
  assert.equal(native.histogramCount, run.requests);
  const xs = native.spectrum.map((p) => p[0]);
  assert.equal(xs[0], 1, 'starts at the 0th percentile');
  assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]), 'x grows');
  assert.ok(Math.abs(xs[xs.length - 1] - run.requests!) / run.requests! < 1e-6, 'ends at 1 - 1/count');
  const ys = native.spectrum.map((p) => p[1]);
  assert.ok(ys.every((y, i) => i === 0 || y >= ys[i - 1]), 'latency never falls with the percentile');
  // the point at x = 10 is p90 and matches the summary percentile
  const p90 = native.spectrum.find((p) => Math.abs(p[0] - 10) < 1e-9)!;
  assert.ok(Math.abs(p90[1] - run.latencyUs!.p90) <= run.latencyUs!.p90 * 0.002);
});

test('every number of a measured row is in the page, and skipped or failed rows show their reason', () => {
  const html = renderHtmlReport(full);
  for (const v of ['422µs', '540µs', '3.69ms', '5.58ms', '1905']) assert.ok(html.includes(`<td>${v}</td>`), v);
  assert.match(html, /<b>wasm<\/b> <span class="badge neutral">skipped<\/span> no wasm runtime for this scenario: wasmtime not installed/);
  assert.match(html, /<b>kvm-full<\/b> <span class="badge bad">failed<\/span> guest exceeded its per-request memory limit/);
  assert.match(html, /timeout 2/, 'error kinds are listed');
  assert.match(html, /Engine counters/);
  assert.match(html, /<td>112, 336<\/td>/, 'dirty pages mean, max');
  // the failed deno kvm-full row gets no bars: the bar chart lists measured targets only
  const model = embedded(html);
  const deno = model.scenarios.find((s) => s.scenario === 'deno-react-ssr')!;
  assert.ok(!deno.measured.some((t) => t.target === 'kvm-full'));
});

test('a scenario with nothing measured shows reasons and no canvas', () => {
  const doc: ResultsDocument = {
    ...full,
    runs: [
      { scenario: 'python-wsgi', route: '/', target: 'native', status: 'failed', reason: 'server never became ready within 30 s' },
      { scenario: 'python-wsgi', route: '/', target: 'kvm-pages', status: 'skipped', reason: 'engine not built' },
    ],
    sweep: undefined,
  };
  const html = renderHtmlReport(doc);
  assert.match(html, /No target was measured for this scenario, so there is nothing to chart/);
  assert.match(html, /server never became ready within 30 s/);
  assert.doesNotMatch(html, /<canvas/);
});

test('optional sections appear when present and are omitted when absent', () => {
  const html = renderHtmlReport(full);
  assert.match(html, /<h2>Claims<\/h2>/);
  assert.match(html, /<h2>Comparison with baseline<\/h2>/);
  assert.match(html, /Reset-threshold sweep: python-wsgi/);
  assert.match(html, /Recommended threshold: <b>4\.0 MiB<\/b>/);
  assert.match(html, /Micro-benchmarks of engine primitives/);
  const bare = renderHtmlReport(buildFixtureResults());
  for (const h of ['Claims', 'Comparison with baseline', 'Reset-threshold sweep', 'Micro-benchmarks']) assert.ok(!bare.includes(h), h);
});

test('malformed optional sections are dropped instead of breaking the report', () => {
  const odd = { ...buildFixtureResults(), sweep: { points: 'nope' }, comparison: 42, claims: [{ statement: 7 }], micro: [null, { name: 'x' }] } as unknown as ResultsDocument;
  const html = renderHtmlReport(odd);
  assert.doesNotMatch(html, /Reset-threshold sweep|Comparison with baseline|<h2>Claims|Micro-benchmarks/);
});

test('text from the document is escaped, also inside the embedded JSON', () => {
  const doc = buildFixtureResults();
  doc.runs[5].reason = '</script><img src=x onerror=alert(1)>';
  const html = renderHtmlReport(doc);
  assert.ok(!html.includes('<img src=x'));
  assert.ok(html.includes('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;'));
  assert.equal(embedded(html).scenarios[0].unmeasured[0].reason, doc.runs[5].reason);
});

test('htmlPathFor puts the report next to the results JSON', () => {
  assert.equal(htmlPathFor('results/run-1.json'), 'results/run-1.html');
  assert.equal(htmlPathFor('/a/b/x'), '/a/b/x.html');
});

const missing = chromiumMissingReason();

test('in headless Chromium: no console errors, no request but the file, every chart drawn', { skip: missing, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-html-'));
  try {
    const file = writeHtmlReport(full, join(dir, 'report.html'));
    const visit = await visitReport(file);
    assert.deepEqual(visit.consoleErrors, []);
    assert.deepEqual(visit.pageErrors, []);
    assert.deepEqual(visit.requests, [`file://${file}`]);
    // three charts per scenario with measured rows, plus the sweep
    assert.equal(visit.canvases.length, 3 * 3 + 1);
    assert.equal(visit.chartsDrawn, visit.canvases.length);
    for (const c of visit.canvases) {
      assert.ok(c.width > 100 && c.height > 100, `${c.id} has a size`);
      assert.ok(c.distinctColours > 20, `${c.id} drew something (${c.distinctColours} colours)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in headless Chromium: a report without charts still loads cleanly', { skip: missing, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-html-'));
  try {
    const file = join(dir, 'empty.html');
    writeFileSync(file, renderHtmlReport({ ...full, runs: [], sweep: undefined }));
    const visit = await visitReport(file);
    assert.deepEqual([...visit.consoleErrors, ...visit.pageErrors], []);
    assert.equal(visit.canvases.length, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('targets 10x or more apart get log-scale latency and throughput charts, saying so', () => {
  const withWasm = buildReportModel(buildFixtureResults({ withWasm: true }));
  const deno = withWasm.scenarios.find((s) => s.scenario === 'deno-react-ssr')!;
  assert.equal(deno.latencyScale, 'logarithmic');
  assert.equal(deno.throughputScale, 'logarithmic');
  assert.ok(deno.p50Spread! > 10 && deno.p50Spread! < 100, `spread ${deno.p50Spread}`);
  // within 2.1x of each other: linear
  const wsgi = withWasm.scenarios.find((s) => s.scenario === 'python-wsgi')!;
  assert.equal(wsgi.latencyScale, 'linear');
  const html = renderHtmlReport(buildFixtureResults({ withWasm: true }));
  assert.match(html, /p50 \/ p90 \/ p99 by target <span class="muted">log scale: p50s differ \d+× between targets<\/span>/);
});

test('settings and pinning are a table of dotted keys, not raw JSON', () => {
  const settings = {
    durationSec: 10,
    pinning: { server: '1', client: '0', note: 'server on CPU 1, load on CPU 0' },
    scenarioSettings: {},
    scenarios: { 'python-wsgi': { python: '/usr/bin/python3', delayMs: 0 } },
  };
  assert.deepEqual(flattenSettings(settings), [
    ['durationSec', '10'],
    ['pinning.server', '1'],
    ['pinning.client', '0'],
    ['pinning.note', 'server on CPU 1, load on CPU 0'],
    ['scenarioSettings', 'none'],
    ['scenarios.python-wsgi.python', '/usr/bin/python3'],
    ['scenarios.python-wsgi.delayMs', '0'],
  ]);
  const html = renderHtmlReport({ ...full, settings });
  const block = /<h3>Settings and pinning<\/h3>(<table class="settings">.*?<\/table>)/s.exec(html)?.[1] ?? '';
  assert.match(block, /<tr><th scope="row">pinning\.server<\/th><td>1<\/td><\/tr>/);
  assert.doesNotMatch(block, /[{}]/);
});

test('in headless Chromium at 1280 px: no table is cut off, and the wide-apart scenario draws log axes', { skip: missing, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-html-'));
  try {
    const file = join(dir, 'wide.html');
    writeFileSync(file, renderHtmlReport(buildFixtureResults({ withSections: true, withWasm: true })));
    const visit = await visitReport(file, { width: 1280 });
    assert.deepEqual([...visit.consoleErrors, ...visit.pageErrors], []);
    assert.deepEqual(visit.overflowingTables, []);
    const scaleOf = (id: string) => visit.canvases.find((c) => c.id === id)?.valueScale;
    assert.equal(scaleOf('percentiles#2'), 'logarithmic');
    assert.equal(scaleOf('spectrum#2'), 'logarithmic');
    assert.equal(scaleOf('throughput#2'), 'logarithmic');
    assert.equal(scaleOf('percentiles#0'), 'linear');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
