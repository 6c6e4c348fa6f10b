// Claims over FIXTURE documents (made-up numbers chosen to produce each verdict).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClaims, CLOSE_BOUND } from '../../harness/claims/evaluate.ts';
import { claimsMarkdown, claimsText } from '../../harness/claims/format.ts';
import { readClaims } from '../../reports/results/sections.ts';
import { fixtureDocument, type FixtureRow } from '../gate/fixture-documents.ts';

const deno = (target: string, p: [number, number, number, number], extra: Partial<FixtureRow> = {}): FixtureRow => ({
  scenario: 'deno-react-ssr',
  route: 'page',
  target,
  p,
  ...extra,
});

function claim(doc: ReturnType<typeof fixtureDocument>, id: string) {
  const c = evaluateClaims(doc).claims.find((x) => x.id === id);
  assert.ok(c, `claim ${id}`);
  return c;
}

describe('claim 1: reset close to native at p50', () => {
  it('holds when every reset target is within the bound, and gives the ratios', () => {
    const doc = fixtureDocument([deno('native', [600, 900, 2000, 4000]), deno('kvm-pages', [660, 800, 1200, 1500]), deno('kvm-hybrid', [700, 800, 1200, 1500])]);
    const c = claim(doc, 'reset-close-to-native-p50');
    assert.equal(c.verdict, 'holds');
    assert.equal(c.numbers['deno-react-ssr/page kvm-pages p50 ÷ native'], 1.1);
    assert.equal(c.numbers['close bound (×native p50)'], CLOSE_BOUND);
    assert.match(c.statement, /1\.25×/);
  });

  it('does not hold when reset is far from native; partly holds when mixed', () => {
    const far = fixtureDocument([{ target: 'native', p: [400, 500, 800, 1200] }, { target: 'kvm-full', p: [2600, 3000, 4000, 6000] }]);
    const c = claim(far, 'reset-close-to-native-p50');
    assert.equal(c.verdict, 'does not hold');
    assert.match(c.evidence, /kvm-full 6\.5×/);
    const mixed = fixtureDocument([{ target: 'native', p: [400, 500, 800, 1200] }, { target: 'kvm-pages', p: [480, 600, 900, 1300] }, { target: 'kvm-full', p: [2600, 3000, 4000, 6000] }]);
    assert.equal(claim(mixed, 'reset-close-to-native-p50').verdict, 'partly holds');
  });

  it('is not measured, with the reasons, when the reset targets were skipped', () => {
    const doc = fixtureDocument([{ target: 'native' }, { target: 'kvm-pages', status: 'skipped', reason: 'the KVM engine target is not built yet' }]);
    const c = claim(doc, 'reset-close-to-native-p50');
    assert.equal(c.verdict, 'not measured');
    assert.match(c.evidence, /kvm-pages: skipped \(the KVM engine target is not built yet\)/);
    assert.match(c.unmeasured[0], /^python-wsgi\/hello kvm-pages: skipped/);
  });

  it('is not measured when native failed', () => {
    const doc = fixtureDocument([{ target: 'native', status: 'failed', reason: 'port in use' }, { target: 'kvm-pages' }]);
    const c = claim(doc, 'reset-close-to-native-p50');
    assert.equal(c.verdict, 'not measured');
    assert.match(c.evidence, /no native row to compare with \(native failed: port in use\)/);
  });
});

describe('claim 2: lower p90+ for page rendering with single-threaded GC', () => {
  const stGc = { extra: { scenarioSettings: { singleThreadedGc: true } } };
  it('holds when every tail percentile is lower than native', () => {
    const doc = fixtureDocument([deno('native', [600, 900, 2000, 4000]), deno('kvm-hybrid', [700, 800, 1200, 1500], stGc)]);
    const c = claim(doc, 'reset-lower-tail-page-rendering');
    assert.equal(c.verdict, 'holds');
    assert.equal(c.numbers['deno-react-ssr/page kvm-hybrid p99 ÷ native'], 0.6);
  });

  it('does not hold when one tail percentile is higher', () => {
    const doc = fixtureDocument([deno('native', [600, 900, 2000, 4000]), deno('kvm-pages', [700, 950, 1200, 1500], stGc)]);
    assert.equal(claim(doc, 'reset-lower-tail-page-rendering').verdict, 'does not hold');
  });

  it('ignores other scenarios and is not measured without deno-react-ssr reset rows', () => {
    const doc = fixtureDocument([{ target: 'native', p: [600, 900, 2000, 4000] }, { target: 'kvm-pages', p: [700, 800, 1200, 1500] }]);
    const c = claim(doc, 'reset-lower-tail-page-rendering');
    assert.equal(c.verdict, 'not measured');
    assert.match(c.evidence, /deno-react-ssr/);
  });

  it('is not measured when the run used multi-threaded GC, and says so', () => {
    const doc = fixtureDocument([deno('native', [600, 900, 2000, 4000]), deno('kvm-hybrid', [700, 800, 1200, 1500])], {
      settings: { scenarios: { 'deno-react-ssr': { singleThreadedGc: false } } },
    });
    const c = claim(doc, 'reset-lower-tail-page-rendering');
    assert.equal(c.verdict, 'not measured');
    assert.match(c.evidence, /multi-threaded GC/);
  });

  it('notes a p99.9 that rests on few requests', () => {
    const doc = fixtureDocument([deno('native', [600, 900, 2000, 4000], { requests: 300 }), deno('kvm-hybrid', [700, 800, 1200, 1500], { requests: 300 })]);
    assert.match(claim(doc, 'reset-lower-tail-page-rendering').evidence, /p99\.9 rests on 300 requests/);
  });
});

describe('claim 3: native has the better p50', () => {
  it('holds, does not hold, by the p50s', () => {
    const holds = fixtureDocument([{ target: 'native', p: [400, 500, 800, 1200] }, { target: 'kvm-pages', p: [480, 600, 900, 1300] }]);
    assert.equal(claim(holds, 'native-better-p50').verdict, 'holds');
    const not = fixtureDocument([{ target: 'native', p: [400, 500, 800, 1200] }, { target: 'kvm-pages', p: [380, 600, 900, 1300] }]);
    const c = claim(not, 'native-better-p50');
    assert.equal(c.verdict, 'does not hold');
    assert.equal(c.numbers['python-wsgi/hello native p50 µs'], 400);
  });
});

describe('machine fact and the section', () => {
  it('names kvm_pvm, the exit cost from micro rows and the exits per request', () => {
    const counters = { mode: 'pages' as const, requests: 100, resets: { pages: 100, full: 0 }, exitsPerRequest: { mean: 40 } };
    const doc = fixtureDocument([{ target: 'native' }, { target: 'kvm-pages', engineCounters: counters }], {
      micro: [{ group: 'exit', name: 'round trip (64-bit guest)', meanUs: 12.5, samples: 1000 }],
    });
    const section = evaluateClaims(doc);
    assert.match(section.machine.text, /kvm_pvm/);
    assert.match(section.machine.text, /exit round trip 12\.5 µs/);
    assert.match(section.machine.text, /python-wsgi\/hello kvm-pages 40; × exit cost ≈ 500 µs per request/);
    assert.equal(section.claims[0].machineFact, section.machine.text);
  });

  it('says when the exit cost was not measured', () => {
    assert.match(evaluateClaims(fixtureDocument([{ target: 'native' }])).machine.text, /exit cost not measured/);
  });

  it('is readable by the views and renders as text and markdown', () => {
    const doc = fixtureDocument([{ target: 'native', p: [400, 500, 800, 1200] }, { target: 'kvm-pages', p: [480, 600, 900, 1300] }]);
    const section = evaluateClaims(doc);
    const rows = readClaims(section);
    assert.equal(rows.length, 3);
    assert.equal(rows[0].verdict, 'holds');
    assert.match(claimsText(section), /\[holds\] Per-request reset/);
    assert.match(claimsMarkdown(section), /\| claim \| verdict \| numbers \|/);
  });
});
