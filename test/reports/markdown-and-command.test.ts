// The markdown summary and `isobench report`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buildFixtureResults } from './fixtures/fixture-results.ts';
import { renderMarkdown } from '../../reports/markdown/index.ts';
import { renderPlainTable } from '../../reports/terminal/plain.ts';
import { parseReportArgs, reportCommand, runReport } from '../../harness/commands/report.ts';
import { UsageError } from '../../harness/commands/command.ts';
import { commands } from '../../harness/commands/index.ts';

const full = buildFixtureResults({ withSections: true });

test('markdown: one table per scenario with every target, ratios to native and reasons', () => {
  const md = renderMarkdown(full);
  assert.equal(md.match(/^### /gm)?.length, 3 + 4, 'three scenarios, then comparison, claims, sweep, micro');
  assert.match(md, /^### python-wsgi `\/page`$/m);
  assert.match(md, /^\| native \| 422µs \| 540µs \| 3\.69ms \| 5\.58ms \| 1905 \| 0 \| shared \| ×1\.00 \| ×1\.00 \|$/m);
  assert.match(md, /^\| kvm-full \| failed: guest exceeded its per-request memory limit \(256 MiB\) during warm-up \|/m);
  assert.match(md, /^### Comparison with baseline `baselines\/ci\.json`: \*\*regression\*\*$/m);
  assert.match(md, /\| python-wsgi \/ \| kvm-full \| p50 \/ native \| 2 \| 2\.5 \| \+25% \| regression \|/);
  assert.match(md, /Recommended: 4\.0 MiB \(lowest p99 within 256 MiB worker RSS\)/);
  // every table row has as many cells as its header
  for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
    const widths = block.trim().split('\n').map((l) => l.replace(/\\\|/g, '').split('|').length);
    assert.ok(widths.every((w) => w === widths[0]), block);
  }
});

test('markdown: pipes in text cannot break a table; sections absent are omitted', () => {
  const doc = buildFixtureResults();
  doc.runs[5].reason = 'a | b';
  const md = renderMarkdown(doc);
  assert.match(md, /skipped: a \\\| b/);
  assert.doesNotMatch(md, /Comparison|Claims|Threshold sweep|Micro-benchmarks/);
});

function tempResults() {
  const dir = mkdtempSync(join(tmpdir(), 'isobench-report-'));
  const file = join(dir, 'run.json');
  writeFileSync(file, JSON.stringify(full));
  return { dir, file };
}

function capture() {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean };
  s.isTTY = false;
  let text = '';
  s.on('data', (d) => (text += d));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => text };
}

test('report is registered as a command', () => {
  assert.ok(commands.includes(reportCommand));
  assert.match(reportCommand.help, /--format html\|markdown\|text/);
});

test('report: bad input is a usage error with a clear message', () => {
  assert.throws(() => parseReportArgs([]), (e) => e instanceof UsageError && /needs a results file/.test(e.message));
  assert.throws(() => parseReportArgs(['--format', 'pdf', 'x.json']), (e) => e instanceof UsageError && /--format must be html, markdown or text, got 'pdf'/.test(e.message));
  assert.throws(() => parseReportArgs(['--bogus', 'x.json']), (e) => e instanceof UsageError && /unknown option '--bogus'/.test(e.message));
  assert.throws(() => parseReportArgs(['a.json', 'b.json']), (e) => e instanceof UsageError && /one results file/.test(e.message));
  assert.throws(() => parseReportArgs(['--format', 'text', '--out', 'x', 'a.json']), UsageError);
  assert.deepEqual(parseReportArgs(['r.json']), { format: 'html', out: undefined, noTui: false, file: 'r.json' });
});

test('report: a missing, malformed or foreign file exits 1 with its reason and writes nothing', async (t) => {
  const { dir } = tempResults();
  const errors: string[] = [];
  t.mock.method(process.stderr, 'write', (s: string) => (errors.push(s), true));
  try {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const foreign = join(dir, 'foreign.json');
    writeFileSync(foreign, '{"hello": 1}');
    const future = join(dir, 'future.json');
    writeFileSync(future, JSON.stringify({ ...full, schemaVersion: 99 }));
    const out = capture();
    assert.equal(await runReport(parseReportArgs([join(dir, 'none.json')]), out.stream), 1);
    assert.equal(await runReport(parseReportArgs([bad]), out.stream), 1);
    assert.equal(await runReport(parseReportArgs([foreign]), out.stream), 1);
    assert.equal(await runReport(parseReportArgs([future]), out.stream), 1);
    assert.match(errors[0], /^isobench: no such results file: .*none\.json\n$/);
    assert.match(errors[1], /bad\.json is not valid JSON/);
    assert.match(errors[2], /has no schemaVersion: not an isobench results document/);
    assert.match(errors[3], /schemaVersion 99; this isobench reads up to 2/);
    assert.ok(!existsSync(join(dir, 'bad.html')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('report: html goes next to the JSON by default, markdown to stdout, text as the plain table off a terminal', async () => {
  const { dir, file } = tempResults();
  try {
    const out = capture();
    assert.equal(await runReport(parseReportArgs([file]), out.stream), 0);
    assert.ok(readFileSync(join(dir, 'run.html'), 'utf8').startsWith('<!doctype html>'));
    assert.equal(out.text(), `report: ${join(dir, 'run.html')}\n`);

    const custom = join(dir, 'sub', 'r.html');
    assert.equal(await runReport(parseReportArgs(['--out', custom, file]), capture().stream), 0);
    assert.ok(existsSync(custom));

    const md = capture();
    assert.equal(await runReport(parseReportArgs(['--format', 'markdown', file]), md.stream), 0);
    assert.equal(md.text(), renderMarkdown(full));
    const mdFile = join(dir, 'summary.md');
    assert.equal(await runReport(parseReportArgs(['--format', 'markdown', '--out', mdFile, file]), capture().stream), 0);
    assert.equal(readFileSync(mdFile, 'utf8'), renderMarkdown(full));

    const text = capture();
    assert.equal(await runReport(parseReportArgs(['--format', 'text', file]), text.stream), 0);
    assert.equal(text.text(), renderPlainTable(full));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
