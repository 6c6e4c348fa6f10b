// Colours chosen to read on dark and light backgrounds alike: no yellow, white or grey text;
// de-emphasis uses dimColor, which terminals derive from the current foreground.
import type { Phase } from '../../harness/progress.ts';

export function phaseColor(phase: Phase): string | undefined {
  switch (phase) {
    case 'done':
      return 'green';
    case 'failed':
      return 'red';
    case 'skipped':
      return 'magenta';
    case 'pending':
      return undefined;
    default:
      return 'blue';
  }
}

export function isolationColor(verdict: string): string | undefined {
  if (verdict === 'isolated') return 'green';
  if (verdict === 'failed') return 'red';
  return undefined;
}
