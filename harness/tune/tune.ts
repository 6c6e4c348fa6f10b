// `isobench tune`: sweep the hybrid reset threshold (then the worker count) for one scenario
// on kvm-hybrid, and recommend the setting with the lowest p99 within a worker memory budget.
import type { ResultsDocument, RunRow } from '../../reports/results/types.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import type { Target } from '../targets/target.ts';
import type { BenchOptions, RunBenchmark } from '../gate/bench.ts';
import { pointFromRow, recommendThreshold, recommendWorkers, serverFlags } from './sweep.ts';
import type { ThresholdSweep, TunePoint, WorkerPoint, WorkerSweep } from './types.ts';

export const TUNE_TARGET = 'kvm-hybrid';

/** the settings keys the engine target reads */
export const THRESHOLD_SETTING = 'resetThresholdBytes';
export const WORKERS_SETTING = 'workers';

export interface TunePlan {
  scenario: string;
  /** where the scenario's name is found (a scenario file's loaded scenario); default the built-ins */
  scenarioList?: Scenario[];
  /** route to measure; default the scenario's first */
  route?: string;
  thresholdsBytes: number[];
  /** worker count for the threshold sweep */
  thresholdWorkers: number;
  /** worker counts for the second sweep; empty: no worker sweep */
  workers: number[];
  maxWorkerRssBytes?: number;
  durationSec?: number;
  warmup?: number;
  /** connections for the threshold sweep; the worker sweep uses as many connections as workers unless set */
  connections?: number;
  scenarioSettings?: Record<string, unknown>;
}

export type TuneAvailability = { ok: true } | { ok: false; reason: string };

/** Is kvm-hybrid there for this scenario? (before spending minutes on a sweep) */
export async function tuneAvailability(scenario: Scenario, targets: readonly Target[]): Promise<TuneAvailability> {
  const target = targets.find((t) => t.name === TUNE_TARGET);
  if (!target) return { ok: false, reason: `target ${TUNE_TARGET} is not registered in this build` };
  const a = await target.availability(scenario);
  return a.ok ? { ok: true } : { ok: false, reason: `${TUNE_TARGET} is not available: ${a.reason}` };
}

export interface TuneOutcome {
  thresholdSweep: ThresholdSweep;
  workerSweep?: WorkerSweep;
  /** every row measured, tagged with the setting it ran with, in one document */
  document: ResultsDocument;
}

function rowFor(doc: ResultsDocument, route: string | undefined): RunRow | undefined {
  const rows = doc.runs.filter((r) => r.target === TUNE_TARGET);
  return route ? rows.find((r) => r.route === route) : rows[0];
}

export async function runTune(plan: TunePlan, run: RunBenchmark, onPoint?: (line: string) => void): Promise<TuneOutcome> {
  const docs: ResultsDocument[] = [];
  const rows: RunRow[] = [];
  const base: BenchOptions = {
    scenarios: [plan.scenario],
    ...(plan.scenarioList ? { scenarioList: plan.scenarioList } : {}),
    targets: [TUNE_TARGET],
    ...(plan.route ? { routes: [plan.route] } : {}),
    ...(plan.durationSec !== undefined ? { durationSec: plan.durationSec } : {}),
    ...(plan.warmup !== undefined ? { warmup: plan.warmup } : {}),
  };
  let route = plan.route;

  const measure = async (thresholdBytes: number, workers: number, connections: number): Promise<TunePoint> => {
    const doc = await run({
      ...base,
      connections,
      scenarioSettings: { ...plan.scenarioSettings, [THRESHOLD_SETTING]: thresholdBytes, [WORKERS_SETTING]: workers },
    });
    docs.push(doc);
    const row = rowFor(doc, route);
    route ??= row?.route;
    if (row) rows.push({ ...row, tune: { [THRESHOLD_SETTING]: thresholdBytes, [WORKERS_SETTING]: workers } });
    const point = pointFromRow(row, thresholdBytes, workers, connections);
    onPoint?.(`threshold ${thresholdBytes} B, ${workers} worker(s): ${point.status === 'ok' ? `p50 ${Math.round(point.p50Us!)} µs, p99 ${Math.round(point.p99Us!)} µs` : `${point.status}: ${point.reason}`}`);
    return point;
  };

  const connections = plan.connections ?? 1;
  const points: TunePoint[] = [];
  for (const t of plan.thresholdsBytes) {
    const point = await measure(t, plan.thresholdWorkers, connections);
    points.push(point);
    // a skipped target will be skipped for every threshold: stop instead of repeating it
    if (point.status === 'skipped') break;
  }
  const rec = recommendThreshold(points, plan.maxWorkerRssBytes);
  const thresholdSweep: ThresholdSweep = {
    kind: 'tune-sweep',
    version: 1,
    parameter: 'resetThresholdBytes',
    scenario: plan.scenario,
    route: route ?? '',
    target: TUNE_TARGET,
    ...(plan.maxWorkerRssBytes !== undefined ? { maxWorkerRssBytes: plan.maxWorkerRssBytes } : {}),
    points,
    ...(rec.chosen ? { recommendedThresholdBytes: rec.chosen.thresholdBytes, flags: serverFlags(rec.chosen.thresholdBytes, plan.thresholdWorkers) } : {}),
    recommendation: rec.reason,
  };

  let workerSweep: WorkerSweep | undefined;
  if (rec.chosen && plan.workers.length > 0) {
    const threshold = rec.chosen.thresholdBytes;
    const workerPoints: WorkerPoint[] = [];
    for (const w of plan.workers) {
      const reuse = w === plan.thresholdWorkers && plan.connections === undefined && connections === w;
      const { thresholdBytes: _t, ...point } = reuse ? rec.chosen : await measure(threshold, w, plan.connections ?? w);
      workerPoints.push(point);
    }
    const wrec = recommendWorkers(workerPoints, plan.maxWorkerRssBytes);
    workerSweep = {
      kind: 'tune-sweep',
      version: 1,
      parameter: 'workers',
      scenario: plan.scenario,
      route: route ?? '',
      target: TUNE_TARGET,
      thresholdBytes: threshold,
      ...(plan.maxWorkerRssBytes !== undefined ? { maxWorkerRssBytes: plan.maxWorkerRssBytes } : {}),
      points: workerPoints,
      ...(wrec.chosen ? { recommendedWorkers: wrec.chosen.workers, flags: serverFlags(threshold, wrec.chosen.workers) } : {}),
      recommendation: wrec.reason,
    };
  }

  const first = docs[0];
  const document: ResultsDocument = {
    ...first,
    settings: { ...first.settings, tune: { ...plan } },
    runs: rows,
    sweep: workerSweep ? [thresholdSweep, workerSweep] : [thresholdSweep],
  };
  return { thresholdSweep, ...(workerSweep ? { workerSweep } : {}), document };
}
