// What the HTML report embeds: the document's numbers arranged per scenario, with each
// measured row's histogram decoded (here, in Node) into percentile-spectrum points.
import type { EngineCounters, MatrixCell, ResultsDocument } from '../results/types.ts';
import { readClaims, readClaimsMachineNote, readComparison, readMicro, readSweeps, type ClaimRow, type ComparisonSection, type MicroRowView, type SweepSection } from '../results/sections.ts';
import { groupByScenario, isolationText, type PercentileKey } from '../common/model.ts';
import { decodeRunHistogram, percentileSpectrum } from '../common/percentiles.ts';

export interface MeasuredTarget {
  target: string;
  engine?: string;
  client?: string;
  connections?: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
  rps?: number;
  requests?: number;
  durationSec?: number;
  errors: Record<string, number>;
  errorsTotal: number;
  isolation: string;
  ratio: Partial<Record<PercentileKey | 'rps', number>>;
  rssPeakBytes?: number;
  engineCounters?: EngineCounters;
  /** [x = 1/(1-p), latency µs]; empty when the row carried no decodable histogram */
  spectrum: [number, number][];
  /** sample count behind the spectrum */
  histogramCount?: number;
}

export interface UnmeasuredTarget {
  target: string;
  status: string;
  reason: string;
}

export interface ScenarioReport {
  id: string;
  scenario: string;
  route: string;
  measured: MeasuredTarget[];
  unmeasured: UnmeasuredTarget[];
  hasNative: boolean;
  /** 'logarithmic' when the measured targets' p50s differ by LOG_SCALE_SPREAD× or more, so the
   * fastest target's bars stay visible next to the slowest's */
  latencyScale: 'linear' | 'logarithmic';
  /** slowest p50 ÷ fastest p50 among the measured targets */
  p50Spread?: number;
  /** the same for req/s */
  throughputScale: 'linear' | 'logarithmic';
}

export const LOG_SCALE_SPREAD = 10;

export interface ReportModel {
  createdAt: string;
  machine: ResultsDocument['machine'];
  versions: Record<string, string | null>;
  settings: Record<string, unknown>;
  scenarios: ScenarioReport[];
  sweeps: SweepSection[];
  comparison?: ComparisonSection;
  claims: ClaimRow[];
  claimsMachineNote?: string;
  micro: MicroRowView[];
  /** the isolation matrix cells, as in the document */
  isolationMatrix: MatrixCell[];
}

function numberRecord(v: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (v && typeof v === 'object') for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return out;
}

/** largest ÷ smallest of the positive finite values; undefined with fewer than two */
function spread(values: number[]): number | undefined {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  return v.length > 1 ? Math.max(...v) / Math.min(...v) : undefined;
}

export function buildReportModel(doc: ResultsDocument): ReportModel {
  const scenarios = groupByScenario(doc).map((group): ScenarioReport => {
    const measured: MeasuredTarget[] = [];
    const unmeasured: UnmeasuredTarget[] = [];
    for (const row of group.rows) {
      const run = row.run;
      if (!row.measured || !row.latency) {
        const reason = typeof run.reason === 'string' && run.reason ? run.reason : run.status === 'ok' ? 'no latency numbers in the results' : 'no reason given';
        unmeasured.push({ target: row.target, status: run.status === 'ok' ? 'no data' : String(run.status), reason });
        continue;
      }
      const h = decodeRunHistogram(run);
      const spectrum: [number, number][] = h ? percentileSpectrum(h).map((p) => [1 / (1 - p.percentile / 100), p.valueUs]) : [];
      measured.push({
        target: row.target,
        engine: typeof run.engine === 'string' ? run.engine : undefined,
        client: typeof run.client === 'string' ? run.client : undefined,
        connections: typeof run.connections === 'number' ? run.connections : undefined,
        ...row.latency,
        rps: row.rps,
        requests: typeof run.requests === 'number' ? run.requests : undefined,
        durationSec: typeof run.durationSec === 'number' ? run.durationSec : undefined,
        errors: numberRecord(run.errors),
        errorsTotal: row.errorsTotal,
        isolation: isolationText(run),
        ratio: row.ratio,
        rssPeakBytes: typeof run.rssPeakBytes === 'number' ? run.rssPeakBytes : undefined,
        engineCounters: run.engineCounters && typeof run.engineCounters === 'object' ? run.engineCounters : undefined,
        spectrum,
        histogramCount: h?.totalCount,
      });
    }
    const p50Spread = spread(measured.map((t) => t.p50));
    const rpsSpread = spread(measured.map((t) => t.rps ?? NaN));
    return {
      id: group.id, scenario: group.scenario, route: group.route, measured, unmeasured, hasNative: group.baseline !== undefined,
      latencyScale: p50Spread !== undefined && p50Spread >= LOG_SCALE_SPREAD ? 'logarithmic' : 'linear',
      ...(p50Spread !== undefined ? { p50Spread } : {}),
      throughputScale: rpsSpread !== undefined && rpsSpread >= LOG_SCALE_SPREAD ? 'logarithmic' : 'linear',
    };
  });
  return {
    createdAt: doc.createdAt,
    machine: doc.machine,
    versions: doc.versions ?? {},
    settings: doc.settings ?? {},
    scenarios,
    sweeps: readSweeps(doc.sweep),
    comparison: readComparison(doc.comparison),
    claims: readClaims(doc.claims),
    claimsMachineNote: readClaimsMachineNote(doc.claims),
    micro: readMicro(doc.micro),
    isolationMatrix: Array.isArray(doc.isolationMatrix) ? doc.isolationMatrix : [],
  };
}
