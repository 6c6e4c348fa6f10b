// A place a scenario can run: natively, under the KVM engine in one reset mode, as wasm, under kvmserver.
import type { Scenario, ScenarioSettings } from '../../scenarios/scenario.ts';
import type { ClientMode, EngineCounters } from '../../reports/results/types.ts';

/** notApplicable: the scenario can never run on this target (not a matter of this machine) */
export type TargetAvailability = { ok: true; engine: string } | { ok: false; reason: string; notApplicable?: boolean };

export interface TargetContext {
  scenario: Scenario;
  settings: ScenarioSettings;
  /** CPU list for the server (taskset -c), or null for no pinning */
  serverCpus: string | null;
  /** abort when the run is cancelled */
  signal?: AbortSignal;
  log(line: string): void;
}

export interface RunningServer {
  /** base URL, e.g. http://127.0.0.1:8123 */
  url: string;
  pid: number;
  /** engine counters for the run so far (engine targets), read after the measured phase */
  counters?(): Promise<EngineCounters | undefined>;
  /** reset counters after warm-up so they cover only the measured phase */
  resetCounters?(): Promise<void>;
  /** peak RSS of the server's process tree, sampled while it ran */
  rssPeakBytes(): number | undefined;
  /** resolves with a one-line description if the server dies before stop() (lets a run fail fast) */
  died?: Promise<string>;
  /** stop the whole process group; never leaves an orphan */
  stop(): Promise<void>;
}

export interface Target {
  name: string;
  description: string;
  /** the client mode this target needs by default */
  clientMode: ClientMode;
  /** whether every request must read the same probe value (reset-per-request targets) */
  expectsIsolation: boolean;
  /** for targets whose requests cost seconds (an interpreter per request): at most this many
   * warm-up requests, and at least this request timeout */
  requestBudget?(scenario: Scenario): { maxWarmup: number; minTimeoutMs: number } | undefined;
  availability(scenario: Scenario): Promise<TargetAvailability>;
  start(ctx: TargetContext): Promise<RunningServer>;
}
