// Per-metric allowed worsening: `--max-regression p99=15%,p50=10%,p999=off`.
import type { GateMetricName } from './types.ts';

export type Thresholds = Partial<Record<GateMetricName, number>>;

const METRICS: readonly GateMetricName[] = ['p50', 'p90', 'p99', 'p999', 'rps'];

/**
 * Defaults for `isobench gate`. Ratios to native are steady enough for 10–20%; native's own
 * req/s moves with whatever else the machine does, so it gets a wide band. p99.9 is off:
 * it rests on a handful of requests in a short run.
 */
export const DEFAULT_THRESHOLDS: Thresholds = { p50: 0.1, p90: 0.15, p99: 0.2, rps: 0.3 };

/** Generous thresholds for the short CI gate (a flaky gate is worse than none). */
export const CI_THRESHOLDS: Thresholds = { p50: 0.3, p90: 0.4, p99: 0.6, rps: 0.5 };

/** Parse `p99=15%,p50=0.1,p999=off` over `base`; throws Error with a one-line message on bad input. */
export function parseThresholds(spec: string, base: Thresholds = DEFAULT_THRESHOLDS): Thresholds {
  const result: Thresholds = { ...base };
  for (const part of spec.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) throw new Error(`--max-regression: expected METRIC=PERCENT, got "${item}"`);
    const name = item.slice(0, eq).trim();
    const raw = item.slice(eq + 1).trim();
    if (!(METRICS as readonly string[]).includes(name)) {
      throw new Error(`--max-regression: unknown metric "${name}" (one of ${METRICS.join(', ')})`);
    }
    const metric = name as GateMetricName;
    if (raw === 'off') {
      delete result[metric];
      continue;
    }
    result[metric] = parseFraction(raw, `--max-regression ${metric}`);
  }
  if (Object.keys(result).length === 0) throw new Error('--max-regression: every metric is off; nothing to compare');
  return result;
}

/** "15%" -> 0.15, "0.15" -> 0.15 */
export function parseFraction(raw: string, what: string): number {
  const percent = raw.endsWith('%');
  const text = percent ? raw.slice(0, -1) : raw;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new Error(`${what}: "${raw}" is not a percentage like 15% or a fraction like 0.15`);
  const value = percent ? Number(text) / 100 : Number(text);
  if (!(value > 0) || value > 10) throw new Error(`${what}: "${raw}" must be above 0 and at most 1000%`);
  return value;
}

export function formatThresholds(t: Thresholds): string {
  return METRICS.filter((m) => t[m] !== undefined)
    .map((m) => `${m}=${Math.round((t[m] as number) * 1000) / 10}%`)
    .join(',');
}
