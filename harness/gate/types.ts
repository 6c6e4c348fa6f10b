// The `comparison` section a gate writes into the results document (ResultsDocument.comparison),
// and the baseline file `isobench baseline save` writes to baselines/<name>.json.
// Both are read by other tools (views, CI scripts): extend, never rename. The comparison is a
// superset of ComparisonSection in reports/results/sections.ts, which the views read.
import type { ComparisonSection } from '../../reports/results/sections.ts';
import type { EngineFigureComparison, EngineFigures } from './engine-figures.ts';

/** Metrics the gate can compare. Latency percentiles are compared as a ratio to `native`; rps is absolute. */
export type GateMetricName = 'p50' | 'p90' | 'p99' | 'p999' | 'rps';

/**
 * ratio-to-native: a non-native target's percentile divided by native's percentile of the same
 * scenario+route in the same run (stable on shared machines: both drift together).
 * absolute: native's own req/s, compared with a wide band.
 */
export type GateMetricKind = 'ratio-to-native' | 'absolute';

export interface GateMetricIdent {
  scenario: string;
  route: string;
  target: string;
  client?: string;
  metric: GateMetricName;
  kind: GateMetricKind;
  /** which direction is better: latency ratios lower, req/s higher */
  betterWhen: 'lower' | 'higher';
}

/** One metric over the repeats of a run: the median decides, the spread estimates noise. */
export interface AggregatedMetric extends GateMetricIdent {
  /** one value per repeat that measured it */
  values: number[];
  median: number;
  /** (max - min) / median over the repeats; null with a single repeat (no noise estimate) */
  spread: number | null;
}

/** A row that did not produce metrics in a run (skipped or failed), kept so the gate can say why. */
export interface RowOutcome {
  scenario: string;
  route: string;
  target: string;
  client?: string;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
}

export type GateVerdict =
  /** change within the threshold */
  | 'pass'
  /** worse than the threshold and than the measured noise */
  | 'regression'
  /** better than the threshold and than the measured noise */
  | 'improvement'
  /** beyond the threshold but within the noise measured across repeats: not decided, does not fail */
  | 'noise'
  /** in the baseline, not measured now (target skipped or absent): does not fail */
  | 'missing'
  /** measured now, not in the baseline: does not fail */
  | 'new'
  /** in the baseline, the row failed now: fails the gate */
  | 'failed';

/** assignable to ComparisonRow (sections.ts) */
export interface GateMetricComparison extends GateMetricIdent {
  /** '× native' for ratios, 'req/s' for absolute throughput */
  unit: string;
  baseline: number | null;
  current: number | null;
  /** current / baseline - 1 (so +0.2 is 20% higher), null when either side is absent */
  change: number | null;
  /** allowed worsening, as a fraction (0.15 = 15%) */
  threshold: number;
  baselineSpread: number | null;
  currentSpread: number | null;
  /** the noise margin the verdict used: max of the two spreads, null when neither had repeats */
  noise: number | null;
  verdict: GateVerdict;
  note?: string;
}

export interface GateComparison extends ComparisonSection {
  kind: 'gate-comparison';
  version: 1;
  /** the baseline file compared against */
  baselineFile?: string;
  baseline: {
    name: string;
    createdAt: string;
    repeats: number;
    cpuModel?: string;
    file?: string;
  };
  current: { repeats: number; createdAt: string[] };
  /** allowed worsening per metric as a fraction; metrics absent here were not compared */
  thresholds: Partial<Record<GateMetricName, number>>;
  /** pass: exit 0; regression: exit 1 (any metric or engine figure regressed, a baseline row failed,
   * or every engine row of the baseline is missing) */
  verdict: 'pass' | 'regression';
  counts: Record<GateVerdict, number>;
  rows: GateMetricComparison[];
  /** the engine's deterministic figures (engine-figures.ts), from this run's kvm rows and the test bed */
  engineFigures?: {
    /** where the current figures came from: "this run" and/or results files of the test bed */
    sources: string[];
    rows: EngineFigureComparison[];
    regressions: number;
  };
  /** set when the baseline has engine rows and not one of them was compared: fails the gate */
  engineMissing?: string;
}

export const BASELINE_FORMAT_VERSION = 1;

export interface BaselineFile {
  kind: 'isobench-baseline';
  formatVersion: typeof BASELINE_FORMAT_VERSION;
  name: string;
  createdAt: string;
  /** the runs it was made from */
  source: {
    repeats: number;
    createdAt: string[];
    machine: unknown;
    versions: unknown;
    settings: unknown;
  };
  /** how to reproduce the run (scenarios, targets, duration...): the gate reuses these unless overridden */
  runOptions: BaselineRunOptions;
  metrics: AggregatedMetric[];
  rows: RowOutcome[];
  /** the engine's deterministic figures per kvm row and exit path (absent in older baselines) */
  engineFigures?: EngineFigures[];
}

export interface BaselineRunOptions {
  scenarios?: string[];
  targets?: string[];
  routes?: string[];
  durationSec?: number;
  warmup?: number;
  connections?: number;
  client?: 'keepalive' | 'per-request';
  scenarioSettings?: Record<string, unknown>;
}
