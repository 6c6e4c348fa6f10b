// Gate decisions over FIXTURE documents (see fixture-documents.ts): identical runs pass, an
// injected slowdown fails, noise within the repeats' spread does not fail, rows that vanish or fail are named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeBaseline } from '../../harness/gate/baseline.ts';
import { judge } from '../../harness/gate/compare.ts';
import { gateDocuments, gateExitCode } from '../../harness/gate/gate.ts';
import { aggregateRepeats, extractMetrics } from '../../harness/gate/metrics.ts';
import { DEFAULT_THRESHOLDS, parseThresholds, formatThresholds } from '../../harness/gate/thresholds.ts';
import { comparisonMarkdown } from '../../harness/gate/markdown.ts';
import { median, relativeSpread } from '../../harness/gate/stats.ts';
import { readComparison } from '../../reports/results/sections.ts';
import { fixtureDocument, pairRows } from './fixture-documents.ts';

describe('gate metrics', () => {
  it('compares non-native latency as a ratio to native of the same scenario and route, native by req/s', () => {
    const doc = fixtureDocument([...pairRows(1.5, 200, 'hello'), ...pairRows(2, 400, 'page')]);
    const samples = extractMetrics(doc, ['p50', 'p99', 'rps']);
    const get = (route: string, target: string, metric: string) => samples.find((s) => s.route === route && s.target === target && s.metric === metric);
    assert.equal(get('hello', 'kvm-pages', 'p50')?.value, 1.5);
    assert.equal(get('page', 'kvm-pages', 'p99')?.value, 2);
    assert.equal(get('hello', 'kvm-pages', 'p50')?.kind, 'ratio-to-native');
    assert.equal(get('hello', 'native', 'rps')?.kind, 'absolute');
    assert.equal(get('hello', 'native', 'p50'), undefined, 'native is not a ratio to itself');
    assert.equal(get('hello', 'kvm-pages', 'rps'), undefined, 'only native req/s is compared');
  });

  it('gives no ratio when native did not run', () => {
    const doc = fixtureDocument([{ target: 'native', status: 'failed', reason: 'port in use' }, { target: 'kvm-pages', p: [300, 400, 500, 600] }]);
    assert.deepEqual(extractMetrics(doc, ['p50']), []);
  });

  it('takes the median over repeats and their relative spread', () => {
    const docs = [1.1, 1.3, 1.2].map((f) => fixtureDocument(pairRows(f)));
    const p50 = aggregateRepeats(docs, ['p50']).find((m) => m.target === 'kvm-pages')!;
    assert.deepEqual(p50.values.map((v) => Math.round(v * 100) / 100), [1.1, 1.3, 1.2]);
    assert.equal(Math.round(p50.median * 100) / 100, 1.2);
    assert.equal(Math.round(p50.spread! * 1000) / 1000, Math.round((0.2 / 1.2) * 1000) / 1000);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(relativeSpread([5]), null);
  });
});

describe('gate verdicts', () => {
  it('judges by threshold and noise', () => {
    assert.equal(judge(0.05, 0.1, null), 'pass');
    assert.equal(judge(0.2, 0.1, null), 'regression');
    assert.equal(judge(0.2, 0.1, 0.3), 'noise');
    assert.equal(judge(-0.2, 0.1, 0.05), 'improvement');
    assert.equal(judge(-0.2, 0.1, 0.4), 'noise');
    // the median is worse, but one repeat on its own is not beyond the threshold
    assert.equal(judge(0.3, 0.1, 0.1, 0.05, 0.5), 'noise');
    assert.equal(judge(0.3, 0.1, 0.1, 0.15, 0.5), 'regression');
    assert.equal(judge(-0.3, 0.1, 0.1, -0.5, -0.05), 'noise');
  });

  it('passes identical runs', () => {
    const doc = fixtureDocument([...pairRows(1.3), ...pairRows(1.8, 400, 'page')]);
    const baseline = makeBaseline('t', [doc], {});
    const c = gateDocuments(baseline, [doc], DEFAULT_THRESHOLDS);
    assert.equal(c.verdict, 'pass');
    assert.equal(gateExitCode(c), 0);
    assert.ok(c.rows.length >= 8);
    assert.ok(c.rows.every((r) => r.verdict === 'pass' && r.change === 0));
  });

  it('fails on a slowdown of one target beyond the threshold, naming the metric', () => {
    const baseline = makeBaseline('t', [fixtureDocument(pairRows(1.3))], {});
    const slower = fixtureDocument(pairRows(1.3 * 1.5));
    const c = gateDocuments(baseline, [slower], DEFAULT_THRESHOLDS);
    assert.equal(c.verdict, 'regression');
    assert.equal(gateExitCode(c), 1);
    const p99 = c.rows.find((r) => r.target === 'kvm-pages' && r.metric === 'p99')!;
    assert.equal(p99.verdict, 'regression');
    assert.equal(Math.round(p99.change! * 100), 50);
    assert.equal(c.rows.find((r) => r.target === 'native')!.verdict, 'pass');
  });

  it('fails when native itself loses req/s beyond its wide band, but not within it', () => {
    const baseline = makeBaseline('t', [fixtureDocument(pairRows(1.2, 200))], {});
    const within = gateDocuments(baseline, [fixtureDocument(pairRows(1.2, 250))], DEFAULT_THRESHOLDS);
    assert.equal(within.rows.find((r) => r.metric === 'rps')!.verdict, 'pass'); // -20% within 30%
    const slow = gateDocuments(baseline, [fixtureDocument(pairRows(1.2, 2200))], DEFAULT_THRESHOLDS);
    assert.equal(slow.rows.find((r) => r.metric === 'rps')!.verdict, 'regression');
    assert.equal(slow.verdict, 'regression');
  });

  it('reports an improvement without failing', () => {
    const baseline = makeBaseline('t', [fixtureDocument(pairRows(2))], {});
    const c = gateDocuments(baseline, [fixtureDocument(pairRows(1.2))], DEFAULT_THRESHOLDS);
    assert.equal(c.verdict, 'pass');
    assert.equal(c.rows.find((r) => r.target === 'kvm-pages' && r.metric === 'p50')!.verdict, 'improvement');
  });

  it('calls a change within the repeats\' spread noise, not a regression', () => {
    // baseline repeats spread 1.0..1.6 (relative spread ~0.46); the current median is 25% worse than 1.2
    const baseline = makeBaseline('t', [1.0, 1.2, 1.6].map((f) => fixtureDocument(pairRows(f))), {});
    const current = [1.5, 1.5, 1.5].map((f) => fixtureDocument(pairRows(f)));
    const c = gateDocuments(baseline, current, DEFAULT_THRESHOLDS);
    const p50 = c.rows.find((r) => r.target === 'kvm-pages' && r.metric === 'p50')!;
    assert.equal(p50.verdict, 'noise');
    assert.ok(p50.noise! > 0.4);
    assert.equal(c.verdict, 'pass');
    // the same change with tight repeats, every repeat beyond the threshold, is a regression
    const tight = makeBaseline('t', [1.19, 1.2, 1.21].map((f) => fixtureDocument(pairRows(f))), {});
    assert.equal(gateDocuments(tight, current, DEFAULT_THRESHOLDS).verdict, 'regression');
  });

  it('fails when a row that ran in the baseline fails now; a skipped one is missing, and fails the gate when it was the only engine row', () => {
    const baseline = makeBaseline('t', [fixtureDocument(pairRows(1.3))], {});
    const failed = fixtureDocument([{ target: 'native', p: [200, 300, 600, 1000] }, { target: 'kvm-pages', status: 'failed', reason: 'guest crashed' }]);
    const c = gateDocuments(baseline, [failed], DEFAULT_THRESHOLDS);
    assert.equal(c.verdict, 'regression');
    const row = c.rows.find((r) => r.target === 'kvm-pages')!;
    assert.equal(row.verdict, 'failed');
    assert.match(row.note!, /guest crashed/);

    const skipped = fixtureDocument([{ target: 'native', p: [200, 300, 600, 1000] }, { target: 'kvm-pages', status: 'skipped', reason: 'no /dev/kvm' }]);
    const s = gateDocuments(baseline, [skipped], DEFAULT_THRESHOLDS);
    assert.equal(s.rows.find((r) => r.target === 'kvm-pages')!.verdict, 'missing');
    // nothing compared the engine at all (no kvm row, no test bed figures): the gate fails
    assert.match(s.engineMissing ?? '', /npm run test:vm/);
    assert.equal(s.verdict, 'regression');

    const alsoNative = makeBaseline('t', [fixtureDocument([{ target: 'native', p: [200, 300, 600, 1000] }, { target: 'wasm', p: [300, 400, 700, 1100] }])], {});
    const withoutEngine = gateDocuments(alsoNative, [fixtureDocument([{ target: 'native', p: [200, 300, 600, 1000] }, { target: 'wasm', status: 'skipped', reason: 'no wasm' }])], DEFAULT_THRESHOLDS);
    assert.equal(withoutEngine.verdict, 'pass', 'a skipped non-engine row is missing and passes');
  });

  it('marks metrics not in the baseline as new', () => {
    const baseline = makeBaseline('t', [fixtureDocument([{ target: 'native', p: [200, 300, 600, 1000] }])], {});
    const c = gateDocuments(baseline, [fixtureDocument(pairRows(1.3))], DEFAULT_THRESHOLDS);
    assert.ok(c.rows.some((r) => r.target === 'kvm-pages' && r.verdict === 'new'));
    assert.equal(c.verdict, 'pass');
  });

  it('compares only the metrics with a threshold', () => {
    const baseline = makeBaseline('t', [fixtureDocument(pairRows(1.3))], {});
    const c = gateDocuments(baseline, [fixtureDocument(pairRows(1.3))], parseThresholds('p50=off,p90=off,rps=off,p999=20%'));
    assert.deepEqual([...new Set(c.rows.map((r) => r.metric))].sort(), ['p99', 'p999']);
  });
});

describe('thresholds', () => {
  it('parses percentages, fractions and off over the defaults', () => {
    const t = parseThresholds('p99=15%,p50=0.05,rps=off');
    assert.equal(t.p99, 0.15);
    assert.equal(t.p50, 0.05);
    assert.equal(t.rps, undefined);
    assert.equal(t.p90, DEFAULT_THRESHOLDS.p90);
    assert.equal(formatThresholds({ p50: 0.1, p99: 0.155 }), 'p50=10%,p99=15.5%');
  });

  it('rejects bad specs with one-line messages', () => {
    assert.throws(() => parseThresholds('p98=10%'), /unknown metric "p98"/);
    assert.throws(() => parseThresholds('p99'), /expected METRIC=PERCENT/);
    assert.throws(() => parseThresholds('p99=fast'), /not a percentage/);
    assert.throws(() => parseThresholds('p99=0%'), /above 0/);
    assert.throws(() => parseThresholds('p50=off,p90=off,p99=off,rps=off'), /nothing to compare/);
  });
});

describe('gate markdown', () => {
  it('has a row per metric with baseline, current, change and verdict', () => {
    const baseline = makeBaseline('main', [fixtureDocument(pairRows(1.3))], {});
    const c = gateDocuments(baseline, [fixtureDocument(pairRows(1.3 * 1.5))], DEFAULT_THRESHOLDS);
    const md = comparisonMarkdown(c);
    assert.match(md, /^### isobench gate: FAILED: regression/);
    assert.match(md, /\| scenario \/ route \| target \| metric \| baseline \| current \| change \| noise \| verdict \|/);
    assert.match(md, /\| python-wsgi \/ hello \| kvm-pages \| p99 ÷ native \| 1\.300× \| 1\.950× \| \+50% \| — \| \*\*REGRESSION\*\* \|/);
    assert.match(md, /\| native \| rps \(absolute\) \| 5000\/s \| 5000\/s \| 0% \|/);
  });

  it('is readable by the views as a comparison section', () => {
    const baseline = makeBaseline('main', [fixtureDocument(pairRows(1.3))], {});
    const view = readComparison(gateDocuments(baseline, [fixtureDocument(pairRows(1.3 * 1.5))], DEFAULT_THRESHOLDS, 'baselines/main.json'));
    assert.equal(view?.verdict, 'regression');
    assert.equal(view?.baselineFile, 'baselines/main.json');
    assert.equal(view?.rows.find((r) => r.target === 'kvm-pages' && r.metric === 'p99')?.unit, '× native');
  });
});
