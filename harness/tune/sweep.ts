// Turning measured rows into sweep points, and choosing among them.
import type { RunRow } from '../../reports/results/types.ts';
import { formatSize } from './sizes.ts';
import type { TunePoint, WorkerPoint } from './types.ts';

/**
 * p99s within this fraction of the lowest are treated as equal: one short run per point cannot
 * separate them. Among equals the one with the least memory (then the smallest threshold) wins.
 */
export const P99_TIE_FRACTION = 0.05;

export function pointFromRow(row: RunRow | undefined, thresholdBytes: number, workers: number, connections: number): TunePoint {
  const base = { thresholdBytes, workers, connections };
  if (!row) return { ...base, status: 'failed', reason: 'the run returned no row for kvm-hybrid' };
  if (row.status !== 'ok' || !row.latencyUs) {
    return { ...base, status: row.status === 'ok' ? 'failed' : row.status, reason: row.reason ?? 'no latency measured' };
  }
  const counters = row.engineCounters;
  const resets = counters?.resets ? counters.resets.pages + counters.resets.full : 0;
  const errors = row.errors ? Object.values(row.errors).reduce((a, b) => a + b, 0) : undefined;
  return {
    ...base,
    status: 'ok',
    p50Us: row.latencyUs.p50,
    p90Us: row.latencyUs.p90,
    p99Us: row.latencyUs.p99,
    ...(row.rps !== undefined ? { rps: row.rps } : {}),
    ...(row.requests !== undefined ? { requests: row.requests } : {}),
    ...(errors !== undefined ? { errors } : {}),
    ...(counters && resets > 0 ? { fullResetFraction: counters.resets!.full / resets } : {}),
    ...(counters?.resetUs ? { resetUs: counters.resetUs.mean, resetP99Us: counters.resetUs.p99 } : {}),
    ...(typeof counters?.workerRssBytes === 'number' ? { workerRssBytes: counters.workerRssBytes } : {}),
  };
}

export interface Recommendation<T> {
  chosen?: T;
  reason: string;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Candidates within the worker memory budget (points with unknown RSS cannot be shown to fit). */
function withinBudget<T extends { status: string; workerRssBytes?: number }>(points: T[], maxWorkerRssBytes?: number): { fit: T[]; why?: string } {
  const ok = points.filter((p) => p.status === 'ok');
  if (ok.length === 0) return { fit: [], why: 'no point was measured' };
  if (maxWorkerRssBytes === undefined) return { fit: ok };
  const fit = ok.filter((p) => p.workerRssBytes !== undefined && p.workerRssBytes <= maxWorkerRssBytes);
  if (fit.length > 0) return { fit };
  const known = ok.filter((p) => p.workerRssBytes !== undefined);
  if (known.length === 0) return { fit: [], why: 'the engine reported no worker RSS, so no point can be shown to fit the memory budget' };
  const least = Math.min(...known.map((p) => p.workerRssBytes as number));
  return { fit: [], why: `no point fits ${mib(maxWorkerRssBytes)} per worker (the least was ${mib(least)})` };
}

/** The threshold with the lowest p99 within the memory budget (near-ties go to less memory). */
export function recommendThreshold(points: TunePoint[], maxWorkerRssBytes?: number): Recommendation<TunePoint> {
  const { fit, why } = withinBudget(points, maxWorkerRssBytes);
  const measured = fit.filter((p) => p.p99Us !== undefined);
  if (measured.length === 0) return { reason: `no recommendation: ${why ?? 'no point has a p99'}` };
  const best = Math.min(...measured.map((p) => p.p99Us as number));
  const ties = measured.filter((p) => (p.p99Us as number) <= best * (1 + P99_TIE_FRACTION));
  ties.sort((a, b) => (a.workerRssBytes ?? Infinity) - (b.workerRssBytes ?? Infinity) || a.thresholdBytes - b.thresholdBytes);
  const chosen = ties[0];
  const budget = maxWorkerRssBytes !== undefined ? ` within ${mib(maxWorkerRssBytes)} worker RSS` : '';
  const tie = ties.length > 1 ? `; ${ties.length} thresholds were within ${P99_TIE_FRACTION * 100}% of the lowest p99, this one uses the least memory` : '';
  return {
    chosen,
    reason: `${formatSize(chosen.thresholdBytes)}: p99 ${Math.round(chosen.p99Us as number)} µs, lowest p99${budget}${tie}`,
  };
}

/** The fewest workers whose throughput is within 5% of the best, within the memory budget. */
export function recommendWorkers(points: WorkerPoint[], maxWorkerRssBytes?: number): Recommendation<WorkerPoint> {
  const { fit, why } = withinBudget(points, maxWorkerRssBytes);
  const measured = fit.filter((p) => p.rps !== undefined);
  if (measured.length === 0) return { reason: `no recommendation: ${why ?? 'no point has a req/s'}` };
  const best = Math.max(...measured.map((p) => p.rps as number));
  const near = measured.filter((p) => (p.rps as number) >= best * (1 - P99_TIE_FRACTION)).sort((a, b) => a.workers - b.workers);
  const chosen = near[0];
  const memory = chosen.workerRssBytes !== undefined ? `, about ${mib(chosen.workerRssBytes * chosen.workers)} for all workers` : '';
  return {
    chosen,
    reason: `${chosen.workers} worker${chosen.workers === 1 ? '' : 's'}: ${Math.round(chosen.rps as number)} req/s at ${chosen.connections} connection${chosen.connections === 1 ? '' : 's'}, within ${P99_TIE_FRACTION * 100}% of the best with the fewest workers${memory}`,
  };
}

export function serverFlags(thresholdBytes: number, workers?: number): string {
  return `--reset hybrid --reset-threshold ${thresholdBytes}${workers !== undefined ? ` --workers ${workers}` : ''}`;
}
