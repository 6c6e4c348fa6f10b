// The isolation probe's verdict a target must give: the counter grows when state is kept (persist,
// native), and reads 1 on every request when each request starts from the frozen state.
import assert from 'node:assert/strict';
import type { probeIsolation } from '../../harness/isolation.ts';

type Probe = Awaited<ReturnType<typeof probeIsolation>>;

export function assertProbe(probe: Probe, keepsState: boolean, requests: number): void {
  assert.equal(probe.error, undefined);
  const s = probe.samples;
  assert.equal(s.length, requests, `samples ${s.join(',')}`);
  if (keepsState) {
    assert.equal(probe.verdict, 'shared');
    assert.deepEqual(s, s.map((_, i) => s[0]! + i), `samples ${s.join(',')}`);
  } else {
    assert.equal(probe.verdict, 'isolated');
    assert.deepEqual(s, Array(requests).fill(1), `samples ${s.join(',')}`);
  }
}
