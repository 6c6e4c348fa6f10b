// Optional sections other commands add to a results document (tune, gate, claims).
// The document types them as `unknown`: views read them only through the readers below,
// which drop anything malformed instead of throwing, so an odd section never breaks a report.

/** `isobench tune`: one point per hybrid reset threshold tried. */
export interface SweepPoint {
  thresholdBytes: number;
  p50Us?: number;
  p99Us?: number;
  /** fraction (0..1) of resets that were full resets */
  fullResetFraction?: number;
  /** mean reset time in µs */
  resetUs?: number;
  workerRssBytes?: number;
}

export interface SweepSection {
  scenario?: string;
  route?: string;
  target?: string;
  /** what was swept; only the hybrid threshold is charted today */
  parameter?: string;
  points: SweepPoint[];
  recommendedThresholdBytes?: number;
  /** why that threshold, e.g. "lowest p99 within 256 MiB worker RSS" */
  recommendation?: string;
  /** server flags to use, e.g. "--reset hybrid --threshold 4M" */
  flags?: string;
}

/** `isobench gate`: one row per compared metric. */
export interface ComparisonRow {
  scenario?: string;
  route?: string;
  target?: string;
  metric: string;
  baseline: number | null;
  current: number | null;
  /** relative change, e.g. 0.12 for +12% */
  change?: number | null;
  verdict: string;
  unit?: string;
}

export interface ComparisonSection {
  baselineFile?: string;
  /** overall outcome, e.g. "pass" | "regression" */
  verdict?: string;
  rows: ComparisonRow[];
}

/** `isobench claims`: each statement with its verdict and the numbers behind it. */
export interface ClaimRow {
  id?: string;
  statement: string;
  verdict: 'holds' | 'does not hold' | 'not measured' | string;
  /** human-readable numbers, e.g. "kvm-pages p50 / native p50 = 1.18" */
  evidence?: string;
  numbers?: Record<string, number | string | null>;
  /** the machine fact that matters, e.g. "kvm_pvm: software KVM, exit ≈ 12 µs" */
  machineFact?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const numOrNull = (v: unknown): number | null => num(v) ?? null;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function readSweepPoint(v: unknown): SweepPoint | undefined {
  if (!isObject(v)) return undefined;
  const thresholdBytes = num(v.thresholdBytes);
  if (thresholdBytes === undefined) return undefined;
  return {
    thresholdBytes,
    p50Us: num(v.p50Us),
    p99Us: num(v.p99Us),
    fullResetFraction: num(v.fullResetFraction),
    resetUs: num(v.resetUs),
    workerRssBytes: num(v.workerRssBytes),
  };
}

function readOneSweep(v: unknown): SweepSection | undefined {
  if (!isObject(v) || !Array.isArray(v.points)) return undefined;
  const points = v.points.map(readSweepPoint).filter((p): p is SweepPoint => p !== undefined);
  if (points.length === 0) return undefined;
  points.sort((a, b) => a.thresholdBytes - b.thresholdBytes);
  return {
    scenario: str(v.scenario),
    route: str(v.route),
    target: str(v.target),
    parameter: str(v.parameter),
    points,
    recommendedThresholdBytes: num(v.recommendedThresholdBytes),
    recommendation: str(v.recommendation),
    flags: str(v.flags),
  };
}

/**
 * `sweep` may be one section or an array of them. Only threshold sweeps are read: a section whose
 * points carry no thresholdBytes (e.g. a worker-count sweep) is left out.
 */
export function readSweeps(v: unknown): SweepSection[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map(readOneSweep).filter((s): s is SweepSection => s !== undefined);
}

function readComparisonRow(v: unknown): ComparisonRow | undefined {
  if (!isObject(v)) return undefined;
  const metric = str(v.metric);
  const verdict = str(v.verdict);
  if (metric === undefined || verdict === undefined) return undefined;
  return {
    scenario: str(v.scenario),
    route: str(v.route),
    target: str(v.target),
    metric,
    baseline: numOrNull(v.baseline),
    current: numOrNull(v.current),
    change: numOrNull(v.change),
    verdict,
    unit: str(v.unit),
  };
}

export function readComparison(v: unknown): ComparisonSection | undefined {
  if (!isObject(v) || !Array.isArray(v.rows)) return undefined;
  const rows = v.rows.map(readComparisonRow).filter((r): r is ComparisonRow => r !== undefined);
  if (rows.length === 0) return undefined;
  return { baselineFile: str(v.baselineFile), verdict: str(v.verdict), rows };
}

function readClaim(v: unknown): ClaimRow | undefined {
  if (!isObject(v)) return undefined;
  const statement = str(v.statement);
  const verdict = str(v.verdict);
  if (statement === undefined || verdict === undefined) return undefined;
  const numbers: Record<string, number | string | null> = {};
  if (isObject(v.numbers)) {
    for (const [k, n] of Object.entries(v.numbers)) {
      if (typeof n === 'number' || typeof n === 'string' || n === null) numbers[k] = n;
    }
  }
  return {
    id: str(v.id),
    statement,
    verdict,
    evidence: str(v.evidence),
    numbers: Object.keys(numbers).length > 0 ? numbers : undefined,
    machineFact: str(v.machineFact),
  };
}

/** `claims` may be an array of claims or `{ claims: [...] }`. */
export function readClaims(v: unknown): ClaimRow[] {
  const list = Array.isArray(v) ? v : isObject(v) && Array.isArray(v.claims) ? v.claims : [];
  return list.map(readClaim).filter((c): c is ClaimRow => c !== undefined);
}

export interface MicroRowView {
  group: string;
  name: string;
  meanUs: number;
  p50Us?: number;
  p99Us?: number;
  samples?: number;
  params?: Record<string, string | number>;
}

/** `micro` rows (MicroRow in types.ts), read defensively like the sections above */
export function readMicro(v: unknown): MicroRowView[] {
  if (!Array.isArray(v)) return [];
  const rows: MicroRowView[] = [];
  for (const r of v) {
    if (!isObject(r)) continue;
    const name = str(r.name);
    const meanUs = num(r.meanUs);
    if (name === undefined || meanUs === undefined) continue;
    const params: Record<string, string | number> = {};
    if (isObject(r.params)) {
      for (const [k, p] of Object.entries(r.params)) if (typeof p === 'string' || typeof p === 'number') params[k] = p;
    }
    rows.push({
      group: str(r.group) ?? '',
      name,
      meanUs,
      p50Us: num(r.p50Us),
      p99Us: num(r.p99Us),
      samples: num(r.samples),
      params: Object.keys(params).length > 0 ? params : undefined,
    });
  }
  return rows;
}

/** the machine note of a `{ machine: { text }, claims }` section, if any */
export function readClaimsMachineNote(v: unknown): string | undefined {
  return isObject(v) && isObject(v.machine) ? str(v.machine.text) : undefined;
}
