// `isobench micro` produces well-formed rows from real measurements (shape, not speed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvmAvailable } from '../../vm/engine.ts';
import { engineSkip } from '../support/engine-skip.ts';
import { runMicro, microTable } from '../../harness/micro.ts';
import { runBenchmark } from '../../harness/run.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { unavailableTarget } from '../../harness/targets/unavailable.ts';

const kvm = kvmAvailable();
const skip = engineSkip(kvm.ok ? false : `/dev/kvm unusable: ${kvm.reason}`);

test('micro: fork and request groups give rows with positive timings', { skip }, async () => {
  const { rows, exitPath } = await runMicro(['fork', 'request'], 20, () => {});
  assert.match(exitPath, /lstar/);
  assert.equal(rows.filter((r) => r.group === 'fork').length, 1);
  assert.deepEqual(rows.filter((r) => r.group === 'request').map((r) => r.params?.mode), ['persist', 'pages', 'full', 'hybrid']);
  for (const r of rows) {
    assert.ok(r.meanUs > 0 && Number.isFinite(r.meanUs), `${r.name}: ${r.meanUs}`);
    assert.ok(r.samples >= 1);
  }
  assert.match(microTable(rows), /fork worker/);
});

test('micro: the mem group measures mprotect and host writes / requests without and with a memory cap', { skip }, async () => {
  const { rows } = await runMicro(['mem'], 20, () => {});
  const names = rows.map((r) => r.name);
  assert.ok(names.some((n) => n.startsWith('mprotect')), names.join(', '));
  assert.equal(names.filter((n) => n.includes('no cap')).length, 2, names.join(', '));
  assert.equal(names.filter((n) => / cap \d+ MiB/.test(n)).length, 2, names.join(', '));
  for (const r of rows) assert.ok(r.meanUs > 0 && Number.isFinite(r.meanUs), `${r.name}: ${r.meanUs}`);
});

test('run --micro: the micro rows land in the run document and the claims use the measured exit cost', { skip }, async () => {
  // one unavailable target: the plan has rows (skipped) and no server starts
  const targetList = [unavailableTarget('nothing', 'a target this test never runs', 'not part of this test')];
  const doc = await runBenchmark({ scenarioList: [pythonWsgi], targetList, out: null, microTimeMs: 20 }, () => {});
  assert.ok(doc.micro && doc.micro.length > 0, 'no micro rows');
  assert.ok(doc.micro.some((r) => r.group === 'exit' && r.meanUs > 0));
  assert.match(JSON.stringify(doc.claims), /exit round trip [\d.]+ µs/);
});
