// The test bed's host-side verdict (native/testbed/report.mjs) on FIXTURE result folders: what a
// guest leaves behind when everything passes, when a test fails, hangs, or nothing ran at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../native/testbed/report.mjs');

interface Fixture {
  parts: Array<{ part: string; exitStatus: number; timedOut?: boolean; seconds?: number }>;
  koffi?: object[];
  qemuRc?: number;
  guest?: boolean;
}

function runReport(f: Fixture, planned = 'koffi'): { status: number | null; out: string } {
  const repo = mkdtempSync(path.join(tmpdir(), 'isobench-tb-report-'));
  try {
    const dir = path.join(repo, 'results/testbed');
    mkdirSync(dir, { recursive: true });
    if (f.guest !== false) writeFileSync(path.join(dir, 'guest.json'), JSON.stringify({ bootSeconds: 3.1, devKvm: true }));
    writeFileSync(path.join(dir, 'parts.jsonl'), f.parts.map((p) => JSON.stringify({ timedOut: false, seconds: 1, ...p })).join('\n'));
    if (f.koffi) writeFileSync(path.join(dir, 'koffi.jsonl'), f.koffi.map((e) => JSON.stringify(e)).join('\n'));
    const r = spawnSync(process.execPath, [REPORT, dir, String(f.qemuRc ?? 0), '5000', 'max', 'FIXTURE'], { encoding: 'utf8', env: { ...process.env, TB_PARTS: planned } });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

const file = '/x/test/engine/engine.test.ts';
const start = (name: string) => ({ event: 'start', file, name, nesting: 1 });
const end = (name: string, status: string, extra = {}) => ({ event: 'end', file, name, nesting: 1, kind: 'test', status, durationMs: 12, ...extra });

test('every test passed: exit 0 and the count', () => {
  const r = runReport({ parts: [{ part: 'koffi', exitStatus: 0 }], koffi: [start('a'), end('a', 'passed'), start('b'), end('b', 'passed')] });
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^pass koffi: .*a \(12 ms\)$/m);
  assert.match(r.out, /^2 passed, 0 failed$/m);
});

test('a failed test fails the run and is named with its reason', () => {
  const r = runReport({ parts: [{ part: 'koffi', exitStatus: 1 }], koffi: [start('a'), end('a', 'failed', { reason: 'guest fault #GP' })] });
  assert.equal(r.status, 1);
  assert.match(r.out, /^FAIL koffi: .*a \(12 ms\) — guest fault #GP$/m);
  assert.match(r.out, /^0 passed, 1 failed$/m);
});

test('a hung part names the test that was running', () => {
  const r = runReport({ parts: [{ part: 'koffi', exitStatus: 137, timedOut: true, seconds: 600 }], koffi: [start('a'), end('a', 'passed'), start('stuck')] });
  assert.equal(r.status, 1);
  assert.match(r.out, /part koffi hung: killed after 600 s while running stuck/);
});

test('a guest killed at the timeout, a part that never ran, and zero tests all fail', () => {
  const r = runReport({ parts: [], qemuRc: 137 });
  assert.equal(r.status, 1);
  assert.match(r.out, /part koffi did not finish/);
  assert.match(r.out, /the guest hung: qemu killed/);
  const none = runReport({ parts: [{ part: 'koffi', exitStatus: 0 }], koffi: [] });
  assert.equal(none.status, 1);
  assert.match(none.out, /zero tests ran/);
});
