// The gate on real, short runs of python-wsgi: a TEST-ONLY target runs the native server with
// an injected per-request sleep (the scenario's delayMs setting), so its latency ratio to native
// moves exactly when we inject a slowdown. Identical code must pass; the slowdown must fail.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeBaseline } from '../../harness/gate/baseline.ts';
import { runWithoutFile, type BenchOptions } from '../../harness/gate/bench.ts';
import { gateDocuments, gateExitCode } from '../../harness/gate/gate.ts';
import { runRepeats } from '../../harness/gate/repeat.ts';
import { CI_THRESHOLDS } from '../../harness/gate/thresholds.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import type { Target } from '../../harness/targets/target.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';

let injectedDelayMs = 0;

const delayedTarget: Target = {
  ...nativeTarget,
  name: 'test-delayed',
  description: 'TEST ONLY: the native server with an injected per-request sleep',
  start: (ctx) => nativeTarget.start({ ...ctx, settings: { ...ctx.settings, delayMs: injectedDelayMs } }),
};

const options: BenchOptions = {
  scenarios: ['python-wsgi'],
  routes: ['hello'],
  targets: ['native', 'test-delayed'],
  requests: 300,
  warmup: 30,
  scenarioList: [pythonWsgi],
  targetList: [nativeTarget, delayedTarget],
};

async function measure(delayMs: number, repeats: number): Promise<ResultsDocument[]> {
  injectedDelayMs = delayMs;
  return runRepeats(runWithoutFile, options, repeats, true);
}

describe('gate on real runs (python-wsgi, native vs a delayed copy)', async () => {
  const available = await pythonWsgi.availability();
  const skip = available.ok ? false : `python-wsgi unavailable: ${available.reason}`;
  let baselineDocs: ResultsDocument[] = [];

  before(async () => {
    if (!skip) baselineDocs = await measure(0, 3);
  });

  it('passes identical code', { skip }, async () => {
    const baseline = makeBaseline('test', baselineDocs, {});
    assert.ok(baseline.metrics.some((m) => m.target === 'test-delayed' && m.kind === 'ratio-to-native'), 'the baseline has ratios');
    const current = await measure(0, 3);
    const c = gateDocuments(baseline, current, CI_THRESHOLDS);
    const regressions = c.rows.filter((r) => r.verdict === 'regression' || r.verdict === 'failed');
    assert.deepEqual(regressions.map((r) => `${r.target} ${r.metric} ${r.change}`), []);
    assert.equal(gateExitCode(c), 0);
  });

  it('fails on an injected 2 ms per-request slowdown', { skip }, async () => {
    const baseline = makeBaseline('test', baselineDocs, {});
    const current = await measure(2, 1);
    const c = gateDocuments(baseline, current, CI_THRESHOLDS);
    assert.equal(gateExitCode(c), 1);
    const p50 = c.rows.find((r) => r.target === 'test-delayed' && r.metric === 'p50')!;
    assert.equal(p50.verdict, 'regression');
    assert.ok(p50.change! > 1, `p50 ratio should more than double, changed ${p50.change}`);
  });
});
