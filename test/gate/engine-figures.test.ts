// The engine's deterministic figures in the gate, on FIXTURE documents (made-up counters that
// drive a verdict). The same verdicts on a real injected exit: test/engine-gate/.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeBaseline, withFigures } from '../../harness/gate/baseline.ts';
import { compareEngineFigures, collectEngineFigures } from '../../harness/gate/engine-figures.ts';
import { gateDocuments, gateExitCode } from '../../harness/gate/gate.ts';
import { comparisonMarkdown } from '../../harness/gate/markdown.ts';
import { CI_THRESHOLDS } from '../../harness/gate/thresholds.ts';
import type { EngineCounters } from '../../reports/results/types.ts';
import { fixtureDocument } from './fixture-documents.ts';

interface Figures {
  exits: number;
  syscalls: Record<string, number>;
  dirty?: number;
  priv?: number;
}

/** FIXTURE counters of `requests` requests in the engine server's stats shape */
function counters({ exits, syscalls, dirty = 3, priv = 450 }: Figures, requests = 100, exitPath = 'hw-ring0-lstar'): EngineCounters {
  return {
    mode: 'pages',
    exitPath,
    requests,
    exitsPerRequest: { mean: exits },
    syscallsByNumber: Object.fromEntries(Object.entries(syscalls).map(([nr, perRequest]) => [nr, perRequest * requests])),
    pages: { newlyDirtiedPerRequest: dirty, privatePerWorker: priv },
  };
}

const steady: Figures = { exits: 9, syscalls: { '43': 1, '45': 2, '44': 3, '3': 1 } };
const doc = (f: Figures, exitPath?: string) =>
  fixtureDocument([{ target: 'native' }, { target: 'kvm-pages', engineCounters: counters(f, 100, exitPath) }]);
/** the machine without /dev/kvm: native runs, the engine rows are skipped */
const noKvm = fixtureDocument([{ target: 'native' }, { target: 'kvm-pages', status: 'skipped', reason: 'no /dev/kvm' }]);

describe('engine figures', () => {
  it('are read per row and exit path, syscalls per request by number', () => {
    const [f] = collectEngineFigures([doc(steady)]);
    assert.deepEqual([f.target, f.exitPath, f.exitsPerRequest, f.syscallsPerRequest['45'], f.privatePagesPerWorker], ['kvm-pages', 'hw-ring0-lstar', 9, 2, 450]);
  });

  it('one more exit per request is a regression; the same figures pass', () => {
    const [base] = collectEngineFigures([doc(steady)]);
    const same = compareEngineFigures([base], collectEngineFigures([doc(steady)]));
    assert.ok(same.every((r) => r.verdict === 'pass'), JSON.stringify(same.filter((r) => r.verdict !== 'pass')));
    const plusOne = compareEngineFigures([base], collectEngineFigures([doc({ ...steady, exits: 10 })]));
    assert.deepEqual(plusOne.filter((r) => r.verdict === 'regression').map((r) => r.figure), ['exitsPerRequest']);
    // an occasional call (0.2 per request) is not one per request
    assert.ok(compareEngineFigures([base], collectEngineFigures([doc({ ...steady, exits: 9.2 })])).every((r) => r.verdict === 'pass'));
  });

  it('host timer interrupts are not the guest\'s exits: a slower machine that sees more of them does not regress', () => {
    const [base] = collectEngineFigures([doc(steady)]);
    const slow = counters(steady);
    slow.exitsPerRequest = { mean: 9 + 6.4, timerExits: 6.4 }; // the cap timer fired 6.4 times per request
    const [f] = collectEngineFigures([fixtureDocument([{ target: 'native' }, { target: 'kvm-pages', engineCounters: slow }])]);
    assert.equal(f.exitsPerRequest, 9);
    assert.ok(compareEngineFigures([base], [f]).every((r) => r.verdict === 'pass'));
  });

  it('a new syscall per request or one more of a known one is a regression', () => {
    const [base] = collectEngineFigures([doc(steady)]);
    const added = compareEngineFigures([base], collectEngineFigures([doc({ ...steady, syscalls: { ...steady.syscalls, '7': 1 } })]));
    assert.deepEqual(added.filter((r) => r.verdict === 'regression').map((r) => r.figure), ['syscall:7']);
    const more = compareEngineFigures([base], collectEngineFigures([doc({ ...steady, syscalls: { ...steady.syscalls, '44': 4 } })]));
    assert.deepEqual(more.filter((r) => r.verdict === 'regression').map((r) => r.figure), ['syscall:44']);
  });

  it('dirty and private pages have a band', () => {
    const [base] = collectEngineFigures([doc(steady)]);
    assert.ok(compareEngineFigures([base], collectEngineFigures([doc({ ...steady, dirty: 5, priv: 490 })])).every((r) => r.verdict === 'pass'));
    const worse = compareEngineFigures([base], collectEngineFigures([doc({ ...steady, dirty: 6, priv: 500 })]));
    assert.deepEqual(worse.filter((r) => r.verdict === 'regression').map((r) => r.figure), ['newlyDirtiedPagesPerRequest', 'privatePagesPerWorker']);
  });

  it('figures of another exit path are not compared', () => {
    const [base] = collectEngineFigures([doc(steady)]);
    const rows = compareEngineFigures([base], collectEngineFigures([doc({ ...steady, exits: 12 }, 'pvm-hypercall')]));
    assert.deepEqual(rows.map((r) => r.verdict).sort(), ['missing', 'new']);
  });
});

describe('gate with engine figures', () => {
  const baseline = withFigures(makeBaseline('t', [noKvm], {}), [doc(steady)]).baseline;

  it('fails when no engine row was compared (no /dev/kvm, no test bed figures)', () => {
    const c = gateDocuments(baseline, [noKvm], CI_THRESHOLDS);
    assert.equal(gateExitCode(c), 1);
    assert.match(c.engineMissing ?? '', /test:vm/);
    assert.match(comparisonMarkdown(c), /FAILED: every engine row of the baseline is missing/);
  });

  it("passes on unchanged figures from the test bed's document and fails on one more exit per request", () => {
    const pass = gateDocuments(baseline, [noKvm], CI_THRESHOLDS, undefined, [{ label: 'test bed', doc: doc(steady) }]);
    assert.equal(gateExitCode(pass), 0, comparisonMarkdown(pass));
    assert.deepEqual(pass.engineFigures?.sources, ['test bed']);
    const fail = gateDocuments(baseline, [noKvm], CI_THRESHOLDS, undefined, [{ label: 'test bed', doc: doc({ ...steady, exits: 10 }) }]);
    assert.equal(gateExitCode(fail), 1);
    assert.match(comparisonMarkdown(fail), /\| exitsPerRequest \| 9 \| 10 \| 9\.5 \| \*\*REGRESSION\*\* \|/);
  });

  it("this run's own kvm rows count first (a machine with /dev/kvm)", () => {
    const c = gateDocuments(baseline, [doc({ ...steady, exits: 10 })], CI_THRESHOLDS, undefined, [{ label: 'test bed', doc: doc(steady) }]);
    assert.equal(gateExitCode(c), 1);
    assert.deepEqual(c.engineFigures?.sources, ['this run', 'test bed']);
  });
});
