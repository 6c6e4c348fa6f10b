// What a workload must tell the harness. One folder per scenario under scenarios/,
// each exporting a Scenario from its index.ts; scenarios/index.ts lists them.

export interface Route {
  /** short name used in results, e.g. "hello" or "page" */
  name: string;
  path: string;
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

export type Availability = { ok: true; version: string } | { ok: false; reason: string };

export interface Scenario {
  name: string;
  description: string;
  /** measured routes; the first is the default */
  routes: Route[];
  /** false when the server closes every connection (e.g. wsgiref): its rows always use the per-request client */
  keepAlive?: boolean;
  /** increments a module-level counter and returns it as the body (plain decimal) */
  probePath: string;
  /** is its runtime present? (never throws) */
  availability(): Promise<Availability>;
  /** build artifacts (bundles, etc.) offline; idempotent and cached */
  build(): Promise<void>;
  /** how to start the server natively; the engine and other sandboxes run the same argv */
  launch(settings: ScenarioSettings): LaunchSpec;
  /** settings this scenario records in results (e.g. GC flags) */
  describeSettings(settings: ScenarioSettings): Record<string, unknown>;
}
