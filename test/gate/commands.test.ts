// The gate, baseline, claims and tune commands end to end through the CLI, on FIXTURE documents
// written to a temporary folder (no load is generated here; gate-real.test.ts measures).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixtureDocument, pairRows } from './fixture-documents.ts';
import { targets } from '../../harness/targets/index.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/isobench.mjs');

function isobench(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, GITHUB_STEP_SUMMARY: '', ...env }, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('gate and baseline commands', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'isobench-gate-'));
    writeFileSync(file('base.json'), JSON.stringify(fixtureDocument(pairRows(1.3))));
    writeFileSync(file('same.json'), JSON.stringify(fixtureDocument(pairRows(1.3))));
    writeFileSync(file('slow.json'), JSON.stringify(fixtureDocument(pairRows(1.3 * 1.6))));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('saves a baseline from results, then passes the same numbers (exit 0) with a markdown table', () => {
    const saved = isobench(['baseline', 'save', '--name', 'fixture', '--file', file('b.json'), '--from', file('base.json')]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /saved .*b\.json: 5 metrics \(4 ratios to native\) from 1 repeat/);
    writeFileSync(file('summary.md'), '');
    const r = isobench(['gate', '--baseline', file('b.json'), '--from', file('same.json'), '--markdown', file('gate.md'), '--out', file('out.json')], {
      GITHUB_STEP_SUMMARY: file('summary.md'),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /### isobench gate: passed/);
    assert.equal(readFileSync(file('gate.md'), 'utf8'), r.stdout);
    assert.match(readFileSync(file('summary.md'), 'utf8'), /### isobench gate: passed/);
    const out = JSON.parse(readFileSync(file('out.json'), 'utf8'));
    assert.equal(out.comparison.kind, 'gate-comparison');
    assert.equal(out.comparison.verdict, 'pass');
    assert.ok(out.comparison.rows.length > 0);
  });

  it('exits 1 on a regression and names it', () => {
    const r = isobench(['gate', '--baseline', file('b.json'), '--from', file('slow.json')]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /kvm-pages \| p99 ÷ native \| 1\.300× \| 2\.080× \| \+60% \| — \| \*\*REGRESSION\*\*/);
  });

  it('a looser threshold lets the same change pass', () => {
    const r = isobench(['gate', '--baseline', file('b.json'), '--from', file('slow.json'), '--max-regression', 'p50=70%,p90=70%,p99=70%']);
    assert.equal(r.code, 0, r.stdout);
  });

  it('exits 2 when it cannot run: no baseline, bad results, bad flags', () => {
    const missing = isobench(['gate', '--baseline', file('nope.json'), '--from', file('same.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /could not run: baseline .*nope\.json does not exist/);
    writeFileSync(file('bad.json'), '{"not":"results"}');
    const bad = isobench(['gate', '--baseline', file('b.json'), '--from', file('bad.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an isobench results document/);
    const flag = isobench(['gate', '--repeat', 'x']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^isobench: gate: --repeat must be an integer from 1 to 50, got 'x'$/m);
    const combo = isobench(['gate', '--from', file('same.json'), '--repeat', '3']);
    assert.equal(combo.code, 2);
    assert.match(combo.stderr, /cannot be combined/);
    const sub = isobench(['baseline', 'load']);
    assert.equal(sub.code, 2);
    assert.match(sub.stderr, /unknown sub-command "load"/);
  });
});

describe('claims command', () => {
  it('prints each claim with its verdict and exits 0; bad input exits 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'isobench-claims-'));
    try {
      const f = path.join(dir, 'r.json');
      writeFileSync(f, JSON.stringify(fixtureDocument(pairRows(1.1))));
      const r = isobench(['claims', f, '--markdown', path.join(dir, 'c.md')]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\[holds\] Per-request reset of an unmodified runtime is close to native at p50/);
      assert.match(r.stdout, /\[not measured\] Per-request reset shows lower p90/);
      assert.match(readFileSync(path.join(dir, 'c.md'), 'utf8'), /### isobench claims/);
      const json = isobench(['claims', f, '--json']);
      assert.equal(JSON.parse(json.stdout).claims.length, 3);
      assert.equal(isobench(['claims']).code, 2);
      assert.equal(isobench(['claims', path.join(dir, 'none.json')]).code, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tune command', () => {
  it('rejects bad flags with exit 2', () => {
    assert.match(isobench(['tune']).stderr, /--scenario NAME\|FILE is required/);
    const bad = isobench(['tune', '--scenario', 'python-wsgi', '--thresholds', '64Q']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"64Q" is not a size/);
    assert.match(isobench(['tune', '--scenario', 'nope']).stderr, /unknown scenario 'nope'/);
  });

  it('exits 2 with "skipped: <reason>" while kvm-hybrid is unavailable', async (t) => {
    const hybrid = targets.find((x) => x.name === 'kvm-hybrid');
    const a = hybrid ? await hybrid.availability(pythonWsgi) : { ok: false as const, reason: 'not registered' };
    if (a.ok) return t.skip('kvm-hybrid is available here; the sweep itself is covered by tune.test.ts');
    const r = isobench(['tune', '--scenario', 'python-wsgi']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^isobench tune: skipped: .+\n$/);
  });
});
