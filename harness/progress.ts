// Events a run emits while it works; the live terminal view and the plain progress printer consume them.
import type { MatrixCell, ResultsDocument, RunRow } from '../reports/results/types.ts';

export type Phase = 'pending' | 'building' | 'starting' | 'warming' | 'measuring' | 'done' | 'skipped' | 'failed';

export interface RowKey {
  scenario: string;
  route: string;
  target: string;
}

export type ProgressEvent =
  | { kind: 'plan'; rows: RowKey[]; settings: Record<string, unknown> }
  | { kind: 'phase'; row: RowKey; phase: Phase; reason?: string }
  /** while measuring, about once a second; totalSec is 0 and totalRequests set when a request count is measured */
  | { kind: 'tick'; row: RowKey; elapsedSec: number; totalSec: number; totalRequests?: number; requests: number; rps: number; p50Us: number; p99Us: number; errors: number }
  | { kind: 'row-done'; row: RowKey; result: RunRow }
  /** one isolation-matrix cell measured (or skipped) */
  | { kind: 'probe-done'; cell: MatrixCell }
  | { kind: 'finished'; results: ResultsDocument; outFile?: string };

export type ProgressListener = (event: ProgressEvent) => void;
