// The per-scenario view model every view shares: runs grouped by scenario and route,
// with ratios to `native` of the same scenario and route computed once.
import type { LatencySummaryUs, ResultsDocument, RunRow } from '../results/types.ts';

export const BASELINE_TARGET = 'native';

export type PercentileKey = 'p50' | 'p90' | 'p99' | 'p999';
export const PERCENTILE_KEYS: PercentileKey[] = ['p50', 'p90', 'p99', 'p999'];
export const PERCENTILE_LABELS: Record<PercentileKey, string> = { p50: 'p50', p90: 'p90', p99: 'p99', p999: 'p99.9' };

export interface TargetRow {
  run: RunRow;
  target: string;
  measured: boolean;
  latency?: LatencySummaryUs;
  rps?: number;
  errorsTotal: number;
  /** this row's percentile (and req/s) divided by native's, when both were measured */
  ratio: Partial<Record<PercentileKey | 'rps', number>>;
}

export interface ScenarioGroup {
  /** "scenario route", unique per group */
  id: string;
  scenario: string;
  route: string;
  rows: TargetRow[];
  baseline?: TargetRow;
}

export function errorsTotal(run: RunRow): number {
  if (!run.errors || typeof run.errors !== 'object') return 0;
  return Object.values(run.errors).reduce((sum, n) => sum + (typeof n === 'number' && Number.isFinite(n) ? n : 0), 0);
}

function finite(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function readLatency(run: RunRow): LatencySummaryUs | undefined {
  const l = run.latencyUs;
  if (!l || typeof l !== 'object') return undefined;
  const p50 = finite(l.p50);
  if (p50 === undefined) return undefined;
  return {
    p50,
    p90: finite(l.p90) ?? NaN,
    p99: finite(l.p99) ?? NaN,
    p999: finite(l.p999) ?? NaN,
    max: finite(l.max) ?? NaN,
    mean: finite(l.mean) ?? NaN,
  };
}

function ratioOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return undefined;
  return a / b;
}

export function groupByScenario(doc: ResultsDocument): ScenarioGroup[] {
  const groups = new Map<string, ScenarioGroup>();
  for (const run of Array.isArray(doc.runs) ? doc.runs : []) {
    const scenario = String(run.scenario ?? '?');
    const route = String(run.route ?? '/');
    const id = `${scenario} ${route}`;
    let group = groups.get(id);
    if (!group) {
      group = { id, scenario, route, rows: [] };
      groups.set(id, group);
    }
    const latency = run.status === 'ok' ? readLatency(run) : undefined;
    group.rows.push({
      run,
      target: String(run.target ?? '?'),
      measured: run.status === 'ok' && latency !== undefined,
      latency,
      rps: run.status === 'ok' ? finite(run.rps) : undefined,
      errorsTotal: errorsTotal(run),
      ratio: {},
    });
  }
  for (const group of groups.values()) {
    group.baseline = group.rows.find((r) => r.target === BASELINE_TARGET && r.measured);
    const base = group.baseline;
    if (!base) continue;
    for (const row of group.rows) {
      if (!row.measured) continue;
      for (const k of PERCENTILE_KEYS) row.ratio[k] = ratioOf(row.latency?.[k], base.latency?.[k]);
      row.ratio.rps = ratioOf(row.rps, base.rps);
    }
  }
  return [...groups.values()];
}

/** why a row has no numbers: "skipped: reason" / "failed: reason" */
export function statusText(run: RunRow): string {
  const reason = typeof run.reason === 'string' && run.reason.length > 0 ? run.reason : 'no reason given';
  if (run.status === 'ok') return 'ok';
  return `${run.status}: ${reason}`;
}

export function isolationText(run: RunRow): string {
  const v = run.isolation?.verdict;
  return typeof v === 'string' ? v : '—';
}
