// The gate's engine figures on real runs: python-wsgi under kvm-pages, measured three times, the
// third with the engine server's test-only --test-inject-exit (one extra VM exit per request).
// Unchanged code must pass the gate on every figure; the injected exit must fail it, by exactly
// one exit per request. Runs wherever the engine runs (the test bed on a machine without /dev/kvm).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeBaseline } from '../../harness/gate/baseline.ts';
import { runWithoutFile, type BenchOptions } from '../../harness/gate/bench.ts';
import { gateDocuments, gateExitCode } from '../../harness/gate/gate.ts';
import { comparisonMarkdown } from '../../harness/gate/markdown.ts';
import { CI_THRESHOLDS } from '../../harness/gate/thresholds.ts';
import { ENGINE_SERVER, kvmTargets } from '../../harness/targets/kvm.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { engineSkip } from '../support/engine-skip.ts';

const python = await pythonWsgi.availability();
const skip = engineSkip(
  !existsSync('/dev/kvm')
    ? 'needs /dev/kvm'
    : !existsSync(ENGINE_SERVER)
      ? 'engine server not built (make -C native)'
      : !python.ok
        ? `python-wsgi unavailable: ${python.reason}`
        : false,
);

function measure(injectExit: boolean): Promise<ResultsDocument> {
  const options: BenchOptions = {
    scenarios: ['python-wsgi'],
    routes: ['hello'],
    targets: ['kvm-pages'],
    requests: 40,
    warmup: 10,
    scenarioList: [pythonWsgi],
    targetList: kvmTargets,
    // boot under emulation (the test bed) can take minutes on a loaded machine
    scenarioSettings: { readyTimeoutMs: 600_000, ...(injectExit ? { engineInjectExit: true } : {}) },
  };
  return runWithoutFile(options);
}

describe('gate on the engine figures of real runs (python-wsgi, kvm-pages)', { skip }, () => {
  let baselineDoc: ResultsDocument;
  before(async () => {
    baselineDoc = await measure(false);
  });

  it('passes unchanged code', async () => {
    const baseline = makeBaseline('test', [baselineDoc], {});
    assert.equal(baseline.engineFigures?.length, 1, 'the baseline has the row\'s figures');
    const c = gateDocuments(baseline, [await measure(false)], CI_THRESHOLDS);
    const notPass = c.engineFigures?.rows.filter((r) => r.verdict !== 'pass') ?? [];
    assert.deepEqual(notPass, [], comparisonMarkdown(c));
    assert.equal(gateExitCode(c), 0);
  });

  it('fails on one injected exit per request', async () => {
    const baseline = makeBaseline('test', [baselineDoc], {});
    const c = gateDocuments(baseline, [await measure(true)], CI_THRESHOLDS);
    assert.equal(gateExitCode(c), 1, comparisonMarkdown(c));
    const exits = c.engineFigures?.rows.find((r) => r.figure === 'exitsPerRequest');
    assert.equal(exits?.verdict, 'regression');
    assert.ok(Math.abs(exits!.current! - exits!.baseline! - 1) < 0.05, `one more exit per request: ${exits!.baseline} -> ${exits!.current}`);
    // the injected exit is not a syscall: the syscall figures do not move
    assert.deepEqual(c.engineFigures?.rows.filter((r) => r.figure.startsWith('syscall:') && r.verdict !== 'pass'), []);
  });
});
