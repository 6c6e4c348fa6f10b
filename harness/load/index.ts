// Drives HTTP load in one of the two client modes; both fill the same LoadRecorder.
import type { ClientMode } from '../../reports/results/types.ts';
import type { LoadOptions, LoadOutcome } from './options.ts';
import { runKeepAlive } from './keepalive.ts';
import { runPerRequest } from './per-request.ts';

export { LoadRecorder } from './recorder.ts';
export type { LoadOptions, LoadOutcome } from './options.ts';

export function runLoad(mode: ClientMode, opts: LoadOptions): Promise<LoadOutcome> {
  return mode === 'keepalive' ? runKeepAlive(opts) : runPerRequest(opts);
}
