// The verdict rules and the expectation table, without a server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from '../../harness/isolation-suite/verdict.ts';
import { expectationFor, isolationModel, judge } from '../../harness/isolation-suite/expectations.ts';
import { probeList } from '../../scenarios/probes.ts';

const probe = (name: string) => probeList().find((p) => p.name === name)!;
const base = (target: string, name: string) => ({ scenario: 's', target, probe: name });

test('carry: shared only when a later request sees a token an earlier request of this run left', () => {
  const leaked = [
    { request: 0, token: 'tok-1111111', seen: 'tok-0999999' }, // a stale token from another run: ignored
    { request: 1, token: 'tok-2222222', seen: 'tok-1111111' },
  ];
  assert.equal(decide('carry', leaked).verdict, 'shared');
  assert.match(decide('carry', leaked).reason, /request 1 saw .*tok-1111111/);
  const clean = [
    { request: 0, token: 'tok-1111111', seen: '' },
    { request: 1, token: 'tok-2222222', seen: 'tok-0999999' },
    { request: 2, token: 'tok-3333333', note: 'write refused: EACCES' },
  ];
  const d = decide('carry', clean);
  assert.equal(d.verdict, 'isolated');
  assert.match(d.reason, /write refused: EACCES/, 'notes are part of the evidence');
  // state that carries no token (an epoll registration) counts from the second request on
  assert.equal(decide('carry', [{ request: 0, token: 'tok-1111111', seen: '' }, { request: 1, token: 'tok-2222222', seen: 'already registered' }]).verdict, 'shared');
});

test('fresh: a repeated value is shared; concurrent: B seeing its A is shared; capability: anything read is shared', () => {
  assert.equal(decide('fresh', [{ request: 0, value: 'a' }, { request: 1, value: 'b' }, { request: 2, value: 'a' }]).verdict, 'shared');
  assert.equal(decide('fresh', [{ request: 0, value: 'a' }, { request: 1, value: 'b' }]).verdict, 'isolated');
  const conc = [
    { request: 0, role: 'A' as const, token: 'tok-1111111' },
    { request: 1, role: 'B' as const, token: 'tok-2222222', seen: 'module global tok-1111111' },
  ];
  assert.equal(decide('concurrent', conc).verdict, 'shared');
  assert.equal(decide('concurrent', [conc[0]!, { ...conc[1]!, seen: '' }]).verdict, 'isolated');
  assert.equal(decide('capability', [{ request: 0, seen: 'pid 1 CPU 4.3 s' }]).verdict, 'shared');
  assert.equal(decide('capability', [{ request: 0, note: 'pid 1: EINVAL' }]).verdict, 'isolated');
  assert.equal(decide('carry', [{ request: 0, error: 'status 500' }]).verdict, 'failed');
});

test('a shared probe fails its cell on a target that promises isolation, not on native or kvm-persist', () => {
  const kvmPages = { name: 'kvm-pages', expectsIsolation: true };
  const shared = { verdict: 'shared' as const, reason: 'request 1 saw tok-1111111' };
  const cell = judge(base('kvm-pages', 'fd-pipe'), shared, expectationFor(probe('fd-pipe'), isolationModel(kvmPages)), true);
  assert.equal(cell.status, 'failed');
  assert.match(cell.reason!, /probe fd-pipe read shared on kvm-pages, which promises isolation/);
  for (const name of ['native', 'kvm-persist']) {
    const t = { name, expectsIsolation: false };
    const c = judge(base(name, 'fd-pipe'), shared, expectationFor(probe('fd-pipe'), isolationModel(t)), false);
    assert.equal(c.status, 'ok');
    assert.equal(c.expected!.verdict, 'shared');
  }
  // errored probes fail wherever they run; not applicable is a skip
  assert.equal(judge(base('native', 'memory'), { verdict: 'failed', reason: 'x' }, expectationFor(probe('memory'), 'long-lived'), false).status, 'failed');
  assert.equal(judge(base('wasm', 'file'), { verdict: 'not applicable', reason: 'no fs' }, expectationFor(probe('file'), 'fresh-instance'), true).status, 'skipped');
});

test('shared by design is explicit: listed with a reason, only where the table says so', () => {
  const snapshot = isolationModel({ name: 'kvm-full', expectsIsolation: true });
  assert.equal(snapshot, 'snapshot');
  for (const name of ['random-boot', 'random-prng']) {
    const e = expectationFor(probe(name), snapshot);
    assert.equal(e.verdict, 'shared');
    assert.equal(e.byDesign, true);
    assert.ok(e.reason.length > 40, 'the reason says why');
    const c = judge(base('kvm-full', name), { verdict: 'shared', reason: 'same value' }, e, true);
    assert.equal(c.status, 'ok');
  }
  // nothing else on a reset target is shared by design, and nothing at all on wasm
  for (const p of probeList()) {
    if (p.name !== 'random-boot' && p.name !== 'random-prng') assert.notEqual(expectationFor(p, snapshot).byDesign, true, p.name);
    assert.notEqual(expectationFor(p, 'fresh-instance').byDesign, true, p.name);
  }
  assert.equal(isolationModel({ name: 'wasm', expectsIsolation: true }), 'fresh-instance');
});

test('kvm-persist is long-lived inside the sandbox: files and foreign clocks are expected refused, memory shared', () => {
  const persist = isolationModel({ name: 'kvm-persist', expectsIsolation: false });
  assert.equal(persist, 'sandboxed-long-lived');
  assert.equal(isolationModel({ name: 'native', expectsIsolation: false }), 'long-lived');
  assert.equal(expectationFor(probe('file'), persist).verdict, 'isolated');
  assert.equal(expectationFor(probe('clocks'), persist).verdict, 'isolated');
  assert.equal(expectationFor(probe('file'), 'long-lived').verdict, 'shared');
  for (const name of ['memory', 'fd-pipe', 'process-state', 'random-boot']) assert.equal(expectationFor(probe(name), persist).verdict, 'shared', name);
});
