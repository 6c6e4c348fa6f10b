// A real (short) run produces a document that matches the schema, with skipped rows for unavailable targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBenchmark } from '../../harness/run.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { unavailableTarget } from '../../harness/targets/unavailable.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { validateResults } from '../../reports/results/schema.ts';
import { readResults } from '../../reports/results/writer.ts';
import { decodeHistogram } from '../../reports/results/histogram.ts';
import type { ProgressEvent } from '../../harness/progress.ts';

test('a python-wsgi run writes a valid results document', async () => {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'isobench-')), 'run.json');
  const events: ProgressEvent[] = [];
  const doc = await runBenchmark(
    {
      scenarioList: [pythonWsgi],
      targetList: [nativeTarget, unavailableTarget('later', 'not yet', 'not built in this test')],
      requests: 300, warmup: 20, out,
    },
    (e) => events.push(e),
  );
  assert.deepEqual(validateResults(doc), []);
  assert.deepEqual(readResults(out), JSON.parse(readFileSync(out, 'utf8')));
  assert.equal(doc.runs.length, 4);

  for (const row of doc.runs.filter((r) => r.target === 'native')) {
    assert.equal(row.status, 'ok', row.reason);
    assert.equal(row.client, 'per-request');
    assert.equal(row.requests, 300);
    assert.deepEqual(row.errors, {});
    assert.equal(row.isolation!.verdict, 'shared');
    assert.equal(row.isolation!.expected, 'shared');
    assert.ok(row.rssPeakBytes! > 1_000_000, `rss ${row.rssPeakBytes}`);
    const h = decodeHistogram(row.histogram!);
    assert.equal(h.totalCount, 300);
    assert.equal(h.getValueAtPercentile(50), row.latencyUs!.p50);
    assert.ok(row.latencyUs!.p50 > 0 && row.latencyUs!.p50 <= row.latencyUs!.p99);
  }
  const skipped = doc.runs.filter((r) => r.target === 'later');
  assert.deepEqual(skipped.map((r) => [r.status, r.reason]), [['skipped', 'not built in this test'], ['skipped', 'not built in this test']]);
  assert.equal(doc.schemaVersion, 2);
  assert.deepEqual(doc.isolationMatrix, [], 'runBenchmark runs the probes only when asked');
  assert.ok(doc.machine.cores >= 1 && doc.machine.cpuModel.length > 0);
  assert.equal(typeof doc.machine.kvm.present, 'boolean');
  assert.match(doc.versions.node!, /^v\d+/);
  assert.match(doc.versions.python ?? '', /^3\./);
  assert.ok(events.some((e) => e.kind === 'plan') && events.at(-1)!.kind === 'finished');
  assert.equal(events.filter((e) => e.kind === 'row-done').length, 4);
});

test('the schema rejects malformed documents', () => {
  const base = { schemaVersion: 2, createdAt: new Date().toISOString(), machine: { cpuModel: 'x', cores: 2, memoryBytes: 1, kernel: 'k', kvm: { present: false } }, versions: {}, settings: {}, isolationMatrix: [] };
  assert.deepEqual(validateResults({ ...base, runs: [] }), []);
  assert.notDeepEqual(validateResults({ ...base, runs: [{ scenario: 's', route: 'r', target: 't', status: 'skipped' }] }), [], 'skipped row without a reason');
  assert.notDeepEqual(validateResults({ ...base, runs: [{ scenario: 's', route: 'r', target: 't', status: 'ok' }] }), [], 'ok row without measurements');
  assert.notDeepEqual(validateResults({ ...base, runs: [{ scenario: 's', route: 'r', target: 't', status: 'great' }] }), []);
  assert.notDeepEqual(validateResults({ ...base, schemaVersion: 3, runs: [] }), []);
  assert.notDeepEqual(validateResults({ ...base, schemaVersion: 1, runs: [] }), [], 'v1 documents are migrated before validation');
  assert.notDeepEqual(validateResults({ ...base, isolationMatrix: [{ scenario: 's', target: 't', probe: 'p', status: 'failed' }], runs: [] }), [], 'failed cell without a reason');
  assert.notDeepEqual(validateResults({ ...base, createdAt: 'yesterday', runs: [] }), []);
});
