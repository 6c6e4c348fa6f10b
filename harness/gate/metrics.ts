// What the gate compares, pulled from results documents: each non-native target's latency
// percentiles as a ratio to native (same scenario, route, run), and native's absolute req/s.
import type { ResultsDocument, RunRow } from '../../reports/results/types.ts';
import { median, relativeSpread } from './stats.ts';
import type { AggregatedMetric, GateMetricIdent, GateMetricName, RowOutcome } from './types.ts';

export const LATENCY_METRICS = ['p50', 'p90', 'p99', 'p999'] as const;
export type LatencyMetricName = (typeof LATENCY_METRICS)[number];

export interface MetricSample extends GateMetricIdent {
  value: number;
}

// One run has one client mode per target (and skipped rows record none), so the client is
// carried along for reading but is not part of a metric's identity.
export function metricKey(m: Pick<GateMetricIdent, 'scenario' | 'route' | 'target' | 'metric'>): string {
  return [m.scenario, m.route, m.target, m.metric].join('\u0000');
}

function rowKey(r: { scenario: string; route: string; target: string }): string {
  return [r.scenario, r.route, r.target].join('\u0000');
}

function isMeasured(row: RunRow): boolean {
  return row.status === 'ok' && row.latencyUs !== undefined;
}

/** native's ok row for this scenario+route, preferring the same client mode */
function nativeFor(doc: ResultsDocument, row: RunRow): RunRow | undefined {
  const natives = doc.runs.filter((r) => r.target === 'native' && r.scenario === row.scenario && r.route === row.route && isMeasured(r));
  return natives.find((r) => r.client === row.client) ?? natives[0];
}

/** One run's metrics, for the metrics named (latency ones become ratios; rps applies to native only). */
export function extractMetrics(doc: ResultsDocument, metrics: readonly GateMetricName[]): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const row of doc.runs) {
    if (!isMeasured(row)) continue;
    const base = { scenario: row.scenario, route: row.route, target: row.target, ...(row.client ? { client: row.client } : {}) };
    if (row.target === 'native') {
      if (metrics.includes('rps') && typeof row.rps === 'number' && row.rps > 0) {
        samples.push({ ...base, metric: 'rps', kind: 'absolute', betterWhen: 'higher', value: row.rps });
      }
      continue;
    }
    const native = nativeFor(doc, row);
    if (!native?.latencyUs || !row.latencyUs) continue;
    for (const metric of LATENCY_METRICS) {
      if (!metrics.includes(metric)) continue;
      const own = row.latencyUs[metric];
      const ref = native.latencyUs[metric];
      if (!(own > 0) || !(ref > 0)) continue;
      samples.push({ ...base, metric, kind: 'ratio-to-native', betterWhen: 'lower', value: own / ref });
    }
  }
  return samples;
}

/** Status of every row in a run (deduplicated by scenario/route/target). */
export function rowOutcomes(doc: ResultsDocument): RowOutcome[] {
  const seen = new Map<string, RowOutcome>();
  for (const row of doc.runs) {
    seen.set(rowKey(row), {
      scenario: row.scenario,
      route: row.route,
      target: row.target,
      ...(row.client ? { client: row.client } : {}),
      status: row.status,
      ...(row.reason ? { reason: row.reason } : {}),
    });
  }
  return [...seen.values()];
}

/**
 * Combine repeats: per metric, the median over repeats of each repeat's value (each value is
 * itself a percentile of that run: the "median of medians") and the relative spread as noise.
 */
export function aggregateRepeats(docs: readonly ResultsDocument[], metrics: readonly GateMetricName[]): AggregatedMetric[] {
  const byKey = new Map<string, { ident: GateMetricIdent; values: number[] }>();
  for (const doc of docs) {
    for (const sample of extractMetrics(doc, metrics)) {
      const { value, ...ident } = sample;
      const key = metricKey(ident);
      const entry = byKey.get(key) ?? { ident, values: [] };
      entry.values.push(value);
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].map(({ ident, values }) => ({ ...ident, values, median: median(values), spread: relativeSpread(values) }));
}

/** A row's status across repeats: failed if it failed in any repeat, ok if ok in any, else skipped. */
export function combineOutcomes(docs: readonly ResultsDocument[]): RowOutcome[] {
  const combined = new Map<string, RowOutcome>();
  const rank = { ok: 1, skipped: 0, failed: 2 } as const;
  for (const doc of docs) {
    for (const outcome of rowOutcomes(doc)) {
      const key = rowKey(outcome);
      const prev = combined.get(key);
      if (!prev || rank[outcome.status] > rank[prev.status]) combined.set(key, outcome);
    }
  }
  return [...combined.values()];
}

export { rowKey };
