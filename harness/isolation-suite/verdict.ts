// How a probe's answers become a verdict. Pure functions over the observations, so the rules
// are tested without a server (test/isolation/verdict.test.ts).
import type { ProbeKind } from '../../scenarios/scenario.ts';
import type { ProbeObservation, ProbeVerdict } from '../../reports/results/types.ts';

export interface Decision {
  verdict: Exclude<ProbeVerdict, 'not applicable'>;
  /** one line: what decided it */
  reason: string;
}

const TOKEN = /tok-[0-9a-f]{7}/;

/** Did this observation see something an earlier request left? A token counts only when an earlier
 * request of this run left it (a stale token from another run is ignored); state that carries no
 * token (an epoll registration, a changed umask) counts as it is. */
function sawEarlier(seen: string | undefined, earlierTokens: string[]): string | null {
  if (!seen) return null;
  const hit = earlierTokens.find((t) => t && seen.includes(t));
  if (hit) return hit;
  return TOKEN.test(seen) ? null : seen;
}

function notes(observations: ProbeObservation[]): string {
  const all = [...new Set(observations.map((o) => o.note).filter((n): n is string => !!n))];
  return all.length ? ` (${all.join('; ')})` : '';
}

export function decide(kind: ProbeKind, observations: ProbeObservation[]): Decision {
  const failed = observations.find((o) => o.error);
  if (failed) return { verdict: 'failed', reason: `request ${failed.request}${failed.role ? ` (${failed.role})` : ''}: ${failed.error}` };
  if (observations.length === 0) return { verdict: 'failed', reason: 'no observations' };
  switch (kind) {
    case 'carry': {
      for (const [i, o] of observations.entries()) {
        if (i === 0) continue;
        const hit = sawEarlier(o.seen, observations.slice(0, i).map((e) => e.token ?? ''));
        if (hit !== null) return { verdict: 'shared', reason: `request ${o.request} saw what an earlier request left: ${o.seen}` };
      }
      return { verdict: 'isolated', reason: `none of ${observations.length} requests saw what an earlier one left${notes(observations)}` };
    }
    case 'concurrent': {
      const writers = observations.filter((o) => o.role === 'A').map((o) => o.token ?? '');
      for (const b of observations.filter((o) => o.role === 'B')) {
        if (sawEarlier(b.seen, writers) !== null) return { verdict: 'shared', reason: `concurrent request ${b.request} (B) saw A's token: ${b.seen}` };
      }
      return { verdict: 'isolated', reason: `no B request saw its concurrent A's token${notes(observations)}` };
    }
    case 'fresh': {
      const firstAt = new Map<string, number>();
      for (const o of observations) {
        const v = o.value ?? '';
        const prior = firstAt.get(v);
        if (prior !== undefined) return { verdict: 'shared', reason: `requests ${prior} and ${o.request} read the same value: ${v}` };
        firstAt.set(v, o.request);
      }
      return { verdict: 'isolated', reason: `${observations.length} requests, ${observations.length} different values` };
    }
    case 'capability': {
      const reader = observations.find((o) => o.seen);
      if (reader) return { verdict: 'shared', reason: `request ${reader.request} read: ${reader.seen}` };
      return { verdict: 'isolated', reason: `nothing outside the request was readable${notes(observations)}` };
    }
  }
}
