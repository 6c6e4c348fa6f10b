// A target whose implementation is not in this build: listed, and reported as skipped with its reason.
import type { ClientMode } from '../../reports/results/types.ts';
import type { Target } from './target.ts';

export function unavailableTarget(
  name: string,
  description: string,
  reason: string,
  opts: { clientMode?: ClientMode; expectsIsolation?: boolean } = {},
): Target {
  return {
    name,
    description,
    clientMode: opts.clientMode ?? 'per-request',
    expectsIsolation: opts.expectsIsolation ?? true,
    async availability() {
      return { ok: false, reason };
    },
    async start() {
      throw new Error(`${name}: ${reason}`);
    },
  };
}
