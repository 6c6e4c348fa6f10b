// `isobench micro` produces well-formed rows from real measurements (shape, not speed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvmAvailable } from '../../vm/engine.ts';
import { runMicro, microTable } from '../../harness/commands/micro.ts';

const kvm = kvmAvailable();

test('micro: fork and request groups give rows with positive timings', { skip: kvm.ok ? false : `/dev/kvm unusable: ${kvm.reason}` }, async () => {
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
