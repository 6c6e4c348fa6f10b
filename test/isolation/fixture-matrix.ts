// A small synthetic isolation matrix for the view tests (not a measurement): one scenario, three
// targets, a shared cell on native, a failed cell on a reset target, a by-design cell, an n/a probe,
// and a target that did not run.
import type { MatrixCell } from '../../reports/results/types.ts';

const cell = (target: string, probe: string, extra: Partial<MatrixCell>): MatrixCell => ({
  scenario: 'python-wsgi', target, probe, description: `${probe} (fixture)`, kind: 'carry', status: 'ok', ...extra,
});

export const fixtureMatrix: MatrixCell[] = [
  cell('native', 'fd-pipe', {
    verdict: 'shared', expected: { verdict: 'shared', reason: 'one long-lived process' }, reason: 'request 1 saw tok-1111111',
    evidence: [{ request: 0, token: 'tok-1111111', seen: '' }, { request: 1, token: 'tok-2222222', seen: 'tok-1111111' }],
  }),
  cell('kvm-pages', 'fd-pipe', {
    status: 'failed', verdict: 'shared', expected: { verdict: 'isolated', reason: 'reset per request' },
    reason: 'probe fd-pipe read shared on kvm-pages, which promises isolation: request 1 saw tok-3333333',
    evidence: [{ request: 0, token: 'tok-3333333', seen: '' }, { request: 1, token: 'tok-4444444', seen: 'tok-3333333' }],
  }),
  cell('kvm-full', 'fd-pipe', { status: 'skipped', expected: { verdict: 'isolated', reason: 'reset' }, reason: '/dev/kvm is absent' }),
  cell('native', 'random-boot', { kind: 'fresh', verdict: 'shared', expected: { verdict: 'shared', reason: 'fixed at exec' }, reason: 'same value' }),
  cell('kvm-pages', 'random-boot', {
    kind: 'fresh', verdict: 'shared', expected: { verdict: 'shared', byDesign: true, reason: 'the canary is copied before the freeze' }, reason: 'same value',
    evidence: [{ request: 0, value: 'AT_RANDOM aa' }, { request: 1, value: 'AT_RANDOM aa' }],
  }),
  cell('kvm-full', 'random-boot', { kind: 'fresh', status: 'skipped', expected: { verdict: 'shared', reason: 'x' }, reason: '/dev/kvm is absent' }),
  cell('native', 'clocks', { kind: 'capability', status: 'skipped', verdict: 'not applicable', reason: 'no clock ids here' }),
  cell('kvm-pages', 'clocks', { kind: 'capability', verdict: 'isolated', expected: { verdict: 'isolated', reason: 'reset' }, reason: 'refused: EINVAL' }),
  cell('kvm-full', 'clocks', { kind: 'capability', status: 'skipped', reason: '/dev/kvm is absent' }),
];
