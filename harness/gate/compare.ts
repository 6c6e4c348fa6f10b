// The gate's decision: current metrics against a baseline's, per metric, with a noise margin.
import { metricKey, rowKey } from './metrics.ts';
import type {
  AggregatedMetric,
  GateComparison,
  GateMetricIdent,
  GateMetricComparison,
  GateVerdict,
  RowOutcome,
} from './types.ts';
import type { Thresholds } from './thresholds.ts';

export interface CompareInput {
  baseline: { name: string; createdAt: string; repeats: number; cpuModel?: string; file?: string; metrics: AggregatedMetric[]; rows: RowOutcome[] };
  current: { repeats: number; createdAt: string[]; metrics: AggregatedMetric[]; rows: RowOutcome[] };
  thresholds: Thresholds;
}

/**
 * Verdict for one metric. `worse` is the change of the medians in the bad direction (+0.2 = 20%
 * worse). Beyond the threshold it is a regression (or improvement) only if it is also beyond the
 * noise the repeats showed (max of baseline and current relative spread) and every current repeat
 * on its own is beyond the threshold; otherwise "noise".
 */
export function judge(worse: number, threshold: number, noise: number | null, leastWorse = worse, mostWorse = worse): GateVerdict {
  const margin = noise ?? 0;
  // leastWorse/mostWorse: the best and worst single current repeat against the baseline median;
  // a verdict needs every repeat to agree, so one disturbed repeat cannot decide it
  if (worse > threshold) return worse > margin && leastWorse > threshold ? 'regression' : 'noise';
  if (-worse > threshold) return -worse > margin && -mostWorse > threshold ? 'improvement' : 'noise';
  return 'pass';
}

function emptyCounts(): Record<GateVerdict, number> {
  return { pass: 0, regression: 0, improvement: 0, noise: 0, missing: 0, new: 0, failed: 0 };
}

export function compare({ baseline, current, thresholds }: CompareInput): GateComparison {
  const currentByKey = new Map(current.metrics.map((m) => [metricKey(m), m]));
  const currentRows = new Map(current.rows.map((r) => [rowKey(r), r]));
  const results: GateMetricComparison[] = [];
  const seen = new Set<string>();

  for (const base of baseline.metrics) {
    const threshold = thresholds[base.metric];
    if (threshold === undefined) continue;
    const key = metricKey(base);
    seen.add(key);
    const { values: _bv, median: _bm, spread: baselineSpread, ...ident } = base;
    const now = currentByKey.get(key);
    if (!now) {
      const row = currentRows.get(rowKey(base));
      const failed = row?.status === 'failed';
      const why = row
        ? `${row.status}${row.reason ? `: ${row.reason}` : ''}`
        : 'not in this run';
      results.push({
        ...ident,
        unit: unitOf(ident),
        baseline: base.median,
        current: null,
        change: null,
        threshold,
        baselineSpread,
        currentSpread: null,
        noise: null,
        verdict: failed ? 'failed' : 'missing',
        note: why,
      });
      continue;
    }
    const change = now.median / base.median - 1;
    const worse = base.betterWhen === 'lower' ? change : -change;
    const spreads = [baselineSpread, now.spread].filter((s): s is number => s !== null);
    const noise = spreads.length ? Math.max(...spreads) : null;
    const perRepeat = now.values.map((v) => (base.betterWhen === 'lower' ? v / base.median - 1 : 1 - v / base.median));
    const verdict = judge(worse, threshold, noise, Math.min(...perRepeat), Math.max(...perRepeat));
    results.push({
      ...ident,
      unit: unitOf(ident),
      baseline: base.median,
      current: now.median,
      change,
      threshold,
      baselineSpread,
      currentSpread: now.spread,
      noise,
      verdict,
      ...(verdict === 'noise' ? { note: `beyond ${pct(threshold)}, but within the ${pct(noise ?? 0)} spread of the repeats or not in every repeat` } : {}),
    });
  }

  for (const now of current.metrics) {
    const threshold = thresholds[now.metric];
    if (threshold === undefined || seen.has(metricKey(now))) continue;
    const { values: _v, median, spread, ...ident } = now;
    results.push({
      ...ident,
      unit: unitOf(ident),
      baseline: null,
      current: median,
      change: null,
      threshold,
      baselineSpread: null,
      currentSpread: spread,
      noise: null,
      verdict: 'new',
      note: 'not in the baseline',
    });
  }

  const counts = emptyCounts();
  for (const r of results) counts[r.verdict] += 1;
  const { metrics: _m, rows: _r, ...baselineInfo } = baseline;
  return {
    kind: 'gate-comparison',
    version: 1,
    ...(baseline.file ? { baselineFile: baseline.file } : {}),
    baseline: baselineInfo,
    current: { repeats: current.repeats, createdAt: current.createdAt },
    thresholds,
    verdict: counts.regression > 0 || counts.failed > 0 ? 'regression' : 'pass',
    counts,
    rows: results,
  };
}

/** True when nothing could be compared (no metric or engine figure on both sides): the gate could not run. */
export function nothingCompared(c: GateComparison): boolean {
  const figures = c.engineFigures?.rows ?? [];
  return (
    c.rows.every((m) => m.baseline === null || m.current === null) &&
    figures.every((f) => f.baseline === null || f.current === null) &&
    c.counts.failed === 0 &&
    !c.engineMissing
  );
}

function unitOf(m: GateMetricIdent): string {
  return m.kind === 'ratio-to-native' ? '× native' : 'req/s';
}

function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}
