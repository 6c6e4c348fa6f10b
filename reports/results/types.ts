// The results document: a public contract (see ARCHITECTURE.md). Extend it; never rename
// a field without bumping SCHEMA_VERSION. Every view reads only this document.

export const SCHEMA_VERSION = 2;
/** every schemaVersion this isobench reads: older documents go through migrateResults (migrate.ts) */
export const OLDEST_SCHEMA_VERSION = 1;

export type RunStatus = 'ok' | 'skipped' | 'failed';
export type ClientMode = 'keepalive' | 'per-request';

export interface LatencySummaryUs {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface IsolationResult {
  /** isolated: every probe response read the same counter; shared: it grew; failed: the probe could not be read */
  verdict: 'isolated' | 'shared' | 'failed';
  samples: number[];
  /** what the target promises: 'isolated' for reset-per-request targets */
  expected?: 'isolated' | 'shared';
}

/** Counters a sandboxing target reports for a run: the KVM engine's reset modes, or a wasm server's fresh instances. */
export interface EngineCounters {
  mode: 'persist' | 'pages' | 'full' | 'hybrid' | 'fresh-instance';
  exitPath?: string;
  requests: number;
  /** KVM engine only: resets by kind (absent where nothing is reset, e.g. a fresh wasm instance per request) */
  resets?: { pages: number; full: number };
  resetUs?: LatencySummaryUs;
  /** pages a request added to the worker's private set (0 in steady state: a pages reset keeps them writable) */
  dirtyPagesPerRequest?: { mean: number; max: number };
  /** timerExits: of the mean, the exits the time/memory-cap timer caused (they follow wall time) */
  exitsPerRequest?: { mean: number; timerExits?: number; byReason?: Record<string, number> };
  syscallsPerRequest?: { mean: number };
  limitHits?: Record<string, number>;
  workerRssBytes?: number;
  [extra: string]: unknown;
}

export interface RunRow {
  scenario: string;
  route: string;
  target: string;
  /** what actually ran, e.g. "wasm (V8 via jco)" or "kvm-pages (isobench engine)" */
  engine?: string;
  status: RunStatus;
  reason?: string;
  client?: ClientMode;
  connections?: number;
  pinning?: { server: string | null; client: string | null };
  latencyUs?: LatencySummaryUs;
  /** base64 compressed HDR histogram of latencies in µs (hdr-histogram-js encodeIntoCompressedBase64) */
  histogram?: string;
  requests?: number;
  durationSec?: number;
  rps?: number;
  errors?: Record<string, number>;
  isolation?: IsolationResult;
  engineCounters?: EngineCounters;
  rssPeakBytes?: number;
  [extra: string]: unknown;
}

/** a probe's outcome: isolated / shared, not applicable (with why), or failed (the probe errored) */
export type ProbeVerdict = 'isolated' | 'shared' | 'not applicable' | 'failed';

/** One request of a probe run: the token it left, what it found (seen) or the value it read. */
export interface ProbeObservation {
  request: number;
  /** concurrent probes: A leaves its token and holds, B reads */
  role?: 'A' | 'B';
  token?: string;
  seen?: string;
  value?: string;
  note?: string;
  error?: string;
}

/** What a target is expected to show for a probe, and why (harness/isolation/expectations.ts). */
export interface ProbeExpectation {
  verdict: 'isolated' | 'shared';
  reason: string;
  /** shared although the target promises isolation, for the reason given: shown, never a silent pass */
  byDesign?: boolean;
}

/** One cell of the isolation matrix: a probe of a scenario on a target. */
export interface MatrixCell {
  scenario: string;
  target: string;
  probe: string;
  /** what the probe checks, one line */
  description?: string;
  kind?: string;
  /** ok: the verdict is the expected one (or shared by design); failed: shared where isolation is
   * promised, or the probe errored; skipped: the target did not run or the probe does not apply */
  status: RunStatus;
  verdict?: ProbeVerdict;
  expected?: ProbeExpectation;
  /** why the cell is failed/skipped/not applicable, or what decided the verdict */
  reason?: string;
  evidence?: ProbeObservation[];
  engine?: string;
  /** set when the cell was rebuilt from an older document, e.g. "v1 /probe counter" */
  migratedFrom?: string;
}

export interface MicroRow {
  group: string;
  name: string;
  /** mean / percentiles in µs as measured by tinybench */
  meanUs: number;
  p50Us?: number;
  p99Us?: number;
  samples: number;
  params?: Record<string, string | number>;
}

export interface ResultsDocument {
  schemaVersion: number;
  createdAt: string;
  machine: {
    cpuModel: string;
    cores: number;
    memoryBytes: number;
    kernel: string;
    kvm: { present: boolean; module?: string; nested?: boolean; note?: string };
  };
  versions: Record<string, string | null>;
  settings: Record<string, unknown>;
  runs: RunRow[];
  /** targets × probes per scenario (schemaVersion 2); empty when the suite did not run */
  isolationMatrix: MatrixCell[];
  micro?: MicroRow[];
  /** filled by `isobench tune` */
  sweep?: unknown;
  /** filled by `isobench gate` */
  comparison?: unknown;
  [extra: string]: unknown;
}
