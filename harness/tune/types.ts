// The `sweep` section `isobench tune` writes into the results document (ResultsDocument.sweep,
// an array: one section per swept parameter). Each section is a superset of SweepSection in
// reports/results/sections.ts, which the views read (they chart the threshold sweep).

export interface TunePoint {
  /** the hybrid reset threshold this point ran with */
  thresholdBytes: number;
  workers: number;
  connections: number;
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  p50Us?: number;
  p90Us?: number;
  p99Us?: number;
  rps?: number;
  requests?: number;
  errors?: number;
  /** full resets / all resets (0..1) from the engine counters */
  fullResetFraction?: number;
  /** mean reset time in µs */
  resetUs?: number;
  resetP99Us?: number;
  /** one worker's resident memory, from the engine counters */
  workerRssBytes?: number;
}

/** `parameter: 'resetThresholdBytes'`: points vary thresholdBytes at a fixed worker count. */
export interface ThresholdSweep {
  kind: 'tune-sweep';
  version: 1;
  parameter: 'resetThresholdBytes';
  scenario: string;
  route: string;
  target: string;
  /** --max-worker-mb in bytes, when given */
  maxWorkerRssBytes?: number;
  points: TunePoint[];
  recommendedThresholdBytes?: number;
  /** why that threshold, or why none */
  recommendation: string;
  /** engine server flags to use */
  flags?: string;
}

export type WorkerPoint = Omit<TunePoint, 'thresholdBytes'>;

/** `parameter: 'workers'`: points vary the worker count at the recommended threshold. */
export interface WorkerSweep {
  kind: 'tune-sweep';
  version: 1;
  parameter: 'workers';
  scenario: string;
  route: string;
  target: string;
  thresholdBytes: number;
  maxWorkerRssBytes?: number;
  /** no thresholdBytes per point: views that chart by threshold skip this section */
  points: WorkerPoint[];
  recommendedWorkers?: number;
  recommendation: string;
  flags?: string;
}

export type TuneSweep = ThresholdSweep | WorkerSweep;
