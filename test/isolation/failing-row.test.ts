// A reset-mode row with a shared probe fails the run. No reset target runs on this machine (no
// /dev/kvm), so a stand-in does: the native python server under a target that promises isolation,
// which is exactly a reset target that leaks everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeTarget } from '../../harness/targets/native.ts';
import type { Target } from '../../harness/targets/target.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { runAndReport } from '../../harness/commands/run.ts';
import { runBenchmark } from '../../harness/run.ts';

const leakyReset: Target = {
  ...nativeTarget,
  name: 'leaky-reset',
  description: 'stand-in: the native server, claiming per-request isolation',
  expectsIsolation: true,
};

test('a shared probe on a target that promises isolation fails its cell, its row and the exit status', async () => {
  const options = {
    scenarioList: [pythonWsgi], targetList: [leakyReset], routes: ['hello'], requests: 20, warmup: 5,
    isolation: true, suite: { only: ['memory', 'random-boot', 'random-os'] }, out: null, pin: false,
  };
  const doc = await runBenchmark(options);
  const byProbe = Object.fromEntries(doc.isolationMatrix.map((c) => [c.probe, c]));
  assert.equal(byProbe.memory!.verdict, 'shared');
  assert.equal(byProbe.memory!.status, 'failed');
  assert.match(byProbe.memory!.reason!, /^probe memory read shared on leaky-reset, which promises isolation: request \d saw/);
  // shared by design is not a failure, but it is marked as such
  assert.equal(byProbe['random-boot']!.verdict, 'shared');
  assert.equal(byProbe['random-boot']!.status, 'ok');
  assert.equal(byProbe['random-boot']!.expected!.byDesign, true);
  assert.equal(byProbe['random-os']!.status, 'ok');
  // the latency row's own /probe counter grew: the row fails too
  const row = doc.runs[0]!;
  assert.equal(row.status, 'failed');
  assert.match(row.reason!, /isolation probe \/probe read shared .* on leaky-reset, which promises isolation/);

  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const writeOut = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((s: string) => (lines.push(String(s)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  let code;
  try {
    code = await runAndReport({ options: { ...options, log: () => {} }, noTui: true, killLeftovers: false }, () => {});
  } finally {
    process.stderr.write = write;
    process.stdout.write = writeOut;
  }
  assert.equal(code, 1);
  assert.ok(lines.some((l) => /isobench: isolation python-wsgi @ leaky-reset memory: probe memory read shared/.test(l)), lines.join(''));
});
