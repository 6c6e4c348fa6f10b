// What a workload must tell the harness: the in-memory form of a scenario. Every scenario, built-in
// or a user's, is a scenario file (scenarios/file/FORMAT.md) that scenarios/file/load.ts turns into
// this; scenarios/index.ts lists the built-in ones.

export interface Route {
  /** short name used in results, e.g. "hello" or "page" */
  name: string;
  path: string;
  /** default GET */
  method?: string;
  /** request body sent with every request (with its Content-Length) */
  body?: string;
  /** null when the response is right, else a one-line reason */
  check(status: number, body: string): string | null;
}

export interface LaunchSpec {
  /** argv[0] is an absolute path to the program */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** paths the program must be able to read (its binary, libraries, scenario files) — used by sandboxes */
  readPaths: string[];
}

export interface ScenarioSettings {
  host: string;
  port: number;
  /** scenario-specific knobs, e.g. { singleThreadedGc: true } or an injected per-request delay in ms */
  [key: string]: unknown;
}

/**
 * How the isolation suite reads a probe's answers (harness/isolation/verdict.ts):
 * - carry: request N leaves a token, request N+1 (a fresh connection) reports what it found;
 * - fresh: every request reports a value; the same value twice means it is not fresh;
 * - capability: a request reports what it could read of other processes (any reading is shared);
 * - concurrent: request A leaves a token and holds, request B on a second connection reads.
 */
export type ProbeKind = 'carry' | 'fresh' | 'capability' | 'concurrent';

/** One isolation probe: a route (or, where the runtime cannot run it, a reason it does not apply). */
export interface ProbeSpec {
  /** short name shared across scenarios, e.g. "fd-pipe" */
  name: string;
  /** the route, answering JSON {seen, left, value, note, error}; called with ?token=T (and role/holdMs for concurrent) */
  path: string;
  /** what it checks, one line */
  description: string;
  kind: ProbeKind;
  /** concurrent probes need 2 connections in flight (and, under the engine, 2 workers) */
  connections: 1 | 2;
  /** target names it applies to; absent: every target */
  targets?: string[];
  /** target names it does not apply to */
  notOn?: string[];
  /** why it does not apply where it does not (required when targets or notOn excludes some) */
  notApplicable?: string;
}

/** What the scenario's runtime needs from the KVM engine beyond its launch spec (settings override). */
export interface ScenarioEngineDefaults {
  /** guest memory (V8's pointer cage reserves tens of GiB of address space: deno and node need 81920) */
  memoryMb?: number;
  /** requests the engine's master serves before the freeze (warm JIT, lazily created runtime state) */
  engineWarmup?: number;
  /** env variables that get a fresh, empty per-server directory granted read-only (e.g. DENO_DIR) */
  privateDirEnv?: string[];
  /** kvm-hybrid: private memory above which a reset is full */
  resetThresholdBytes?: number;
}

/** How the wasm target serves the scenario. */
export type WasmBuild =
  /** a JavaScript entry bundled and componentized into a wasi:http component */
  | { kind: 'componentize-js'; entry: string; buildDir: string; bundle(entry: string, outfile: string): Promise<{ outfile: string; cached: boolean }> }
  /** a WSGI app run by CPython compiled to wasm (the pyodide package) */
  | { kind: 'pyodide'; appFile: string; callable: string };

export type Availability = { ok: true; version: string } | { ok: false; reason: string };

export interface Scenario {
  name: string;
  description: string;
  /** measured routes; the first is the default */
  routes: Route[];
  /** false when the server closes every connection (e.g. wsgiref): its rows always use the per-request client */
  keepAlive?: boolean;
  /** increments a module-level counter and returns it as the body (plain decimal); '' when the
   * scenario has no probe route (its rows then carry no isolation verdict) */
  probePath: string;
  /** the isolation suite's probes (`isobench isolation`); absent: the scenario has none */
  probes?: ProbeSpec[];
  /** what the KVM engine targets need for this runtime */
  engine?: ScenarioEngineDefaults;
  /** how the wasm target serves it; absent: wasm rows are skipped */
  wasm?: WasmBuild;
  /** the scenario file it was loaded from */
  definedIn?: string;
  /** the settings its file declares (beyond the harness's own, harness/settings.ts) */
  settingKeys?: string[];
  /** is its runtime present? (never throws) */
  availability(): Promise<Availability>;
  /** build artifacts (bundles, etc.) offline; idempotent and cached */
  build(): Promise<void>;
  /** how to start the server natively; the engine and other sandboxes run the same argv */
  launch(settings: ScenarioSettings): LaunchSpec;
  /** settings this scenario records in results (e.g. GC flags) */
  describeSettings(settings: ScenarioSettings): Record<string, unknown>;
}
