// The live view's state, folded from ProgressEvents; pure so tests can drive it event by event.
import type { Phase, ProgressEvent, RowKey } from '../../harness/progress.ts';
import type { ResultsDocument, RunRow } from '../results/types.ts';

export interface LiveRow {
  key: RowKey;
  phase: Phase;
  reason?: string;
  /** when the row left `pending` (ms since epoch), and when it ended */
  startedAt?: number;
  endedAt?: number;
  tick?: Extract<ProgressEvent, { kind: 'tick' }>;
  result?: RunRow;
}

export interface LiveState {
  startedAt: number;
  settings: Record<string, unknown>;
  rows: LiveRow[];
  finished?: { results: ResultsDocument; outFile?: string; reportLine?: string };
}

export const rowId = (k: RowKey): string => `${k.scenario}\u0000${k.route}\u0000${k.target}`;

export function initialLiveState(now: number): LiveState {
  return { startedAt: now, settings: {}, rows: [] };
}

const ENDED: Phase[] = ['done', 'skipped', 'failed'];

function upsert(state: LiveState, key: RowKey, update: (row: LiveRow) => LiveRow): LiveState {
  const id = rowId(key);
  const i = state.rows.findIndex((r) => rowId(r.key) === id);
  const rows = state.rows.slice();
  if (i < 0) rows.push(update({ key, phase: 'pending' }));
  else rows[i] = update(rows[i]);
  return { ...state, rows };
}

export function reduceLive(state: LiveState, event: ProgressEvent, now: number): LiveState {
  switch (event.kind) {
    case 'plan':
      return {
        ...state,
        startedAt: state.rows.length === 0 ? now : state.startedAt,
        settings: event.settings ?? {},
        rows: event.rows.map((key) => state.rows.find((r) => rowId(r.key) === rowId(key)) ?? { key, phase: 'pending' }),
      };
    case 'phase':
      return upsert(state, event.row, (row) => ({
        ...row,
        phase: event.phase,
        reason: event.reason ?? (ENDED.includes(event.phase) ? row.reason : undefined),
        startedAt: row.startedAt ?? (event.phase === 'pending' ? undefined : now),
        endedAt: ENDED.includes(event.phase) ? now : undefined,
      }));
    case 'tick':
      return upsert(state, event.row, (row) => ({
        ...row,
        phase: row.phase === 'pending' || row.phase === 'warming' || row.phase === 'starting' ? 'measuring' : row.phase,
        startedAt: row.startedAt ?? now,
        tick: event,
      }));
    case 'row-done': {
      const r = event.result;
      const phase: Phase = r.status === 'ok' ? 'done' : r.status;
      return upsert(state, event.row, (row) => ({
        ...row,
        phase,
        reason: r.reason ?? row.reason,
        result: r,
        startedAt: row.startedAt ?? now,
        endedAt: row.endedAt ?? now,
      }));
    }
    case 'finished': {
      // the terminal entry point may attach the HTML report's path (see index.ts)
      const reportLine = (event as { reportLine?: unknown }).reportLine;
      return { ...state, finished: { results: event.results, outFile: event.outFile, reportLine: typeof reportLine === 'string' ? reportLine : undefined } };
    }
    default:
      return state;
  }
}

function settingNumber(settings: Record<string, unknown>, names: string[]): number | undefined {
  for (const n of names) {
    const v = settings[n];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

/**
 * Seconds left, estimated from how long finished measured rows took (or the configured
 * duration before any finished); undefined when there is nothing to base it on.
 */
export function remainingSeconds(state: LiveState, now: number): number | undefined {
  const measured = state.rows.filter((r) => r.phase === 'done' && r.startedAt !== undefined && r.endedAt !== undefined);
  const perRow =
    measured.length > 0
      ? measured.reduce((s, r) => s + (r.endedAt! - r.startedAt!), 0) / measured.length / 1000
      : settingNumber(state.settings, ['durationSec', 'duration']);
  let left = 0;
  for (const row of state.rows) {
    if (ENDED.includes(row.phase)) continue;
    if (row.phase === 'measuring' && row.tick?.totalRequests) {
      // a request count: what is left at the rate so far
      const t = row.tick;
      if (t.rps <= 0) return undefined;
      left += Math.max(0, t.totalRequests! - t.requests) / t.rps;
    } else if (row.phase === 'measuring' && row.tick) {
      left += Math.max(0, row.tick.totalSec - row.tick.elapsedSec);
    } else if (perRow === undefined) {
      return undefined;
    } else if (row.phase === 'pending') {
      left += perRow;
    } else {
      left += Math.max(0, perRow - (now - (row.startedAt ?? now)) / 1000);
    }
  }
  return left;
}
