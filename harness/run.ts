// One benchmark run: the plan (scenarios × routes × targets), each server started, warmed up,
// measured and probed, and one results document at the end. Views, gate and tune call runBenchmark.
import { KNOWN_SETTINGS, checkSettings } from './settings.ts';
import type { ProgressListener, RowKey } from './progress.ts';
import type { Scenario, ScenarioSettings, Route } from '../scenarios/scenario.ts';
import type { RunningServer, Target } from './targets/target.ts';
import type { ClientMode, MatrixCell, ResultsDocument, RunRow } from '../reports/results/types.ts';
import { SCHEMA_VERSION } from '../reports/results/types.ts';
import { scenarios as allScenarios } from '../scenarios/index.ts';
import { targets as allTargets } from './targets/index.ts';
import { machineFacts } from '../reports/results/machine.ts';
import { toolVersions } from '../reports/results/versions.ts';
import { encodeHistogram, percentileAt, summarizeLatency } from '../reports/results/histogram.ts';
import { assertWritable, defaultResultsPath, writeResults, writeResultsOrFallback } from '../reports/results/writer.ts';
import { evaluateClaims } from './claims/evaluate.ts';
import { GROUPS as MICRO_GROUPS, runMicro } from './micro.ts';
import { kvmAvailable } from '../vm/engine.ts';
import { LoadRecorder, runLoad } from './load/index.ts';
import { probeIsolation } from './isolation.ts';
import { SUITE_DEFAULTS, probeServer, unprobedCells, type SuiteOptions } from './isolation-suite/suite.ts';
import { choosePinning, pinSelf, type Pinning } from './pinning.ts';
import { assertPortFree, findFreePort } from './process.ts';
import { loadScenarioFile, looksLikeScenarioFile, ScenarioFileError } from '../scenarios/file/load.ts';

export interface RunOptions {
  /** scenario names; default every scenario */
  scenarios?: string[];
  /** target names; default every target (unavailable ones give skipped rows) */
  targets?: string[];
  /** route names; default every route of each scenario */
  routes?: string[];
  /** measured phase length (default 10 s) unless requests is given */
  durationSec?: number;
  requests?: number;
  /** warm-up requests per route, discarded (default 200) */
  warmup?: number;
  connections?: number;
  /** default: what each target needs (and per-request for scenarios that close every connection) */
  client?: ClientMode;
  /** server on CPU 1, load generator on CPU 0 (default true) */
  pin?: boolean;
  /** results file; default results/run-<timestamp>.json; null: do not write. Checked before
   * anything runs; if writing it fails at the end anyway, the default path is used and `warn` says so. */
  out?: string | null;
  /** extra scenario settings, e.g. { delayMs: 5 } */
  scenarioSettings?: Record<string, unknown>;
  host?: string;
  /** fixed server port (default: a free one per server) */
  port?: number;
  readyTimeoutSec?: number;
  /** also run the engine micro-benchmarks (ms measured per benchmark) into the document's `micro` rows */
  microTimeMs?: number;
  probeRequests?: number;
  /** also run the scenario's isolation probes on each server (the matrix); default false here, the CLI turns it on */
  isolation?: boolean;
  /** measure the routes (default true); false with isolation: the matrix only (`isobench isolation`) */
  latency?: boolean;
  /** isolation probes to run (default all) and their request counts */
  suite?: SuiteOptions;
  requestTimeoutMs?: number;
  /** check every Nth response body (default 50) */
  sampleEvery?: number;
  signal?: AbortSignal;
  /** registries (tests pass their own) */
  scenarioList?: Scenario[];
  targetList?: Target[];
  log?(line: string): void;
  /** something the user must read (default: log) */
  warn?(line: string): void;
}

/** A plan that cannot run: unknown scenario, target or route. */
export class PlanError extends Error {}

interface PlannedPair {
  scenario: Scenario;
  target: Target;
  routes: Route[];
}

export const DEFAULTS = { durationSec: 10, warmup: 200, connections: 1, host: '127.0.0.1', readyTimeoutSec: 30, probeRequests: 5, requestTimeoutMs: 10_000, sampleEvery: 50 };

function pick<T extends { name: string }>(kind: string, all: T[], names: string[] | undefined): T[] {
  if (!names?.length) return all;
  return [...new Set(names)].map((n) => {
    const found = all.find((x) => x.name === n);
    if (!found) throw new PlanError(`unknown ${kind} '${n}' (known: ${all.map((x) => x.name).join(', ')})`);
    return found;
  });
}

export function planRuns(options: RunOptions): PlannedPair[] {
  const scenarioList = pick('scenario', options.scenarioList ?? allScenarios, options.scenarios);
  const targetList = pick('target', options.targetList ?? allTargets, options.targets);
  if (!scenarioList.length) throw new PlanError('no scenarios registered');
  const unknownRoutes = (options.routes ?? []).filter((name) => !scenarioList.some((s) => s.routes.some((r) => r.name === name)));
  if (unknownRoutes.length) {
    const known = [...new Set(scenarioList.flatMap((s) => s.routes.map((r) => r.name)))];
    throw new PlanError(`no scenario has route ${unknownRoutes.map((r) => `'${r}'`).join(', ')} (known: ${known.join(', ')})`);
  }
  const pairs: PlannedPair[] = [];
  for (const scenario of scenarioList) {
    const routes = options.latency === false ? [] : options.routes?.length ? scenario.routes.filter((r) => options.routes!.includes(r.name)) : scenario.routes;
    if (!routes.length && options.latency !== false) continue;
    for (const target of targetList) pairs.push({ scenario, target, routes });
  }
  return pairs;
}

function clientFor(scenario: Scenario, target: Target, requested?: ClientMode): ClientMode {
  if (requested) return requested;
  return scenario.keepAlive === false ? 'per-request' : target.clientMode;
}

/** Scenario names stay names; a --scenario that is a path (./app/isobench.scenario.json) is loaded
 * from its file by the same loader as the built-in scenarios. */
export async function withScenarioFiles(options: RunOptions): Promise<RunOptions> {
  const files = (options.scenarios ?? []).filter((s) => looksLikeScenarioFile(s));
  if (!files.length) return options;
  const known = options.scenarioList ?? allScenarios;
  const loaded: Scenario[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadScenarioFile(file));
    } catch (err) {
      throw err instanceof ScenarioFileError ? new PlanError(err.message) : err;
    }
  }
  const names = options.scenarios!.map((s) => (looksLikeScenarioFile(s) ? loaded[files.indexOf(s)]!.name : s));
  const clash = loaded.find((s) => known.some((k) => k.name === s.name && k.definedIn !== s.definedIn));
  if (clash) throw new PlanError(`scenario file ${clash.definedIn}: name '${clash.name}' is already a built-in scenario; choose another name`);
  return { ...options, scenarios: names, scenarioList: [...known.filter((k) => !loaded.some((l) => l.name === k.name)), ...loaded] };
}

/** The plan, after checking everything that can be checked before a run: names, routes, the results file. */
export function checkedPlan(options: RunOptions): PlannedPair[] {
  const pairs = planRuns(options);
  const fileKeys = [...new Set(pairs.flatMap((p) => p.scenario.settingKeys ?? []))];
  const settingProblem = checkSettings(options.scenarioSettings ?? {}, KNOWN_SETTINGS, fileKeys);
  if (settingProblem) throw new PlanError(`--set ${settingProblem}`);
  if (typeof options.out === 'string') {
    try {
      assertWritable(options.out);
    } catch (err) {
      throw new PlanError((err as Error).message);
    }
  }
  return pairs;
}

export async function runBenchmark(options: RunOptions = {}, onProgress?: ProgressListener): Promise<ResultsDocument> {
  options = await withScenarioFiles(options);
  const pairs = checkedPlan(options);
  const opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as RunOptions & typeof DEFAULTS;
  const measured = opts.requests ? { requests: opts.requests } : { durationSec: opts.durationSec };
  const emit: ProgressListener = onProgress ?? (() => {});
  const log = opts.log ?? (() => {});
  const warn = opts.warn ?? log;
  const createdAt = new Date();
  const [machine, versions] = [machineFacts(), await toolVersions()];
  const pinning = choosePinning(opts.pin !== false);

  const settings: Record<string, unknown> = {
    ...measured,
    warmupRequests: opts.warmup,
    connections: opts.connections,
    client: opts.client ?? 'per target',
    pinning,
    host: opts.host,
    requestTimeoutMs: opts.requestTimeoutMs,
    probeRequests: opts.probeRequests,
    sampleEvery: opts.sampleEvery,
    scenarioSettings: opts.scenarioSettings ?? {},
    scenarios: Object.fromEntries(
      [...new Set(pairs.map((p) => p.scenario))].map((s) => [s.name, s.describeSettings({ host: opts.host, port: 0, ...opts.scenarioSettings })]),
    ),
  };
  if (opts.isolation) {
    settings.isolation = {
      ...SUITE_DEFAULTS,
      ...opts.suite,
      probes: opts.suite?.only?.length ? opts.suite.only : 'all',
      latency: opts.latency !== false,
    };
  }
  const rowKeys: RowKey[] = pairs.flatMap((p) => p.routes.map((r) => ({ scenario: p.scenario.name, route: r.name, target: p.target.name })));
  emit({ kind: 'plan', rows: rowKeys, settings });

  const runs: RunRow[] = [];
  const isolationMatrix: MatrixCell[] = [];
  const finishCells = (cells: MatrixCell[]) => {
    for (const cell of cells) {
      isolationMatrix.push(cell);
      emit({ kind: 'probe-done', cell });
    }
  };
  const finish = (row: RunRow) => {
    runs.push(row);
    const key = { scenario: row.scenario, route: row.route, target: row.target };
    emit({ kind: 'phase', row: key, phase: row.status === 'ok' ? 'done' : row.status, ...(row.reason ? { reason: row.reason } : {}) });
    emit({ kind: 'row-done', row: key, result: row });
  };

  const builds = new Map<Scenario, Promise<string | null>>();
  const restoreAffinity = pinning.client !== null ? pinSelf(pinning.client) : () => {};
  try {
    for (const pair of pairs) {
      const base = { scenario: pair.scenario.name, target: pair.target.name };
      const skipCells = (reason: string) => opts.isolation && finishCells(unprobedCells(pair.scenario, pair.target, reason, opts.suite?.only));
      if (opts.signal?.aborted) {
        for (const r of pair.routes) finish({ ...base, route: r.name, status: 'skipped', reason: 'run cancelled' });
        skipCells('run cancelled');
        continue;
      }
      const availability = await pair.target.availability(pair.scenario);
      if (!availability.ok) {
        const notApplicable = availability.notApplicable ? { notApplicable: true } : {};
        for (const r of pair.routes) finish({ ...base, route: r.name, status: 'skipped', reason: availability.reason, ...notApplicable });
        skipCells(availability.reason);
        continue;
      }
      const buildProblem = await built(builds, pair, emit, log);
      if (buildProblem) {
        for (const r of pair.routes) finish({ ...base, route: r.name, status: 'failed', reason: buildProblem });
        skipCells(buildProblem);
        continue;
      }
      await runPair(pair, availability.engine, opts, pinning, measured, emit, log, finish, finishCells);
    }
  } finally {
    restoreAffinity();
  }

  const doc: ResultsDocument = { schemaVersion: SCHEMA_VERSION, createdAt: createdAt.toISOString(), machine, versions, settings, runs, isolationMatrix };
  if (opts.microTimeMs) {
    const kvm = kvmAvailable();
    if (kvm.ok) {
      log(`micro-benchmarks of the engine (${opts.microTimeMs} ms each)`);
      doc.micro = (await runMicro(MICRO_GROUPS, opts.microTimeMs, log)).rows;
    } else {
      settings.micro = `skipped: ${kvm.reason}`;
    }
  }
  doc.claims = evaluateClaims(doc);
  const wanted = opts.out === null ? undefined : opts.out ?? defaultResultsPath(createdAt);
  const outFile = wanted === undefined ? undefined : writeResultsOrFallback(doc, wanted, defaultResultsPath(createdAt), warn);
  emit({ kind: 'finished', results: doc, ...(outFile ? { outFile } : {}) });
  return doc;
}

/** Builds a scenario's artifacts (bundles) on its first pair of a run (the build is cached on disk);
 * resolves with a one-line reason when it fails. */
function built(builds: Map<Scenario, Promise<string | null>>, pair: PlannedPair, emit: ProgressListener, log: (line: string) => void): Promise<string | null> {
  const { scenario } = pair;
  let done = builds.get(scenario);
  if (!done) {
    emit({ kind: 'phase', row: { scenario: scenario.name, route: pair.routes[0]?.name ?? 'isolation', target: pair.target.name }, phase: 'building' });
    const started = performance.now();
    done = scenario.build().then(
      () => null,
      (err: unknown) => `${scenario.name}: build failed: ${(err as Error).message.split('\n')[0]} (npm run build:scenarios builds every scenario)`,
    );
    builds.set(scenario, done);
    void done.then((problem) => log(problem ?? `${scenario.name}: build checked (built if missing or stale) in ${Math.round(performance.now() - started)} ms`));
  }
  return done;
}

async function runPair(
  pair: PlannedPair,
  engine: string,
  opts: RunOptions & typeof DEFAULTS,
  pinning: Pinning,
  measured: { requests?: number; durationSec?: number },
  emit: ProgressListener,
  log: (line: string) => void,
  finish: (row: RunRow) => void,
  finishCells: (cells: MatrixCell[]) => void,
): Promise<void> {
  const { scenario, target } = pair;
  const client = clientFor(scenario, target, opts.client);
  const budget = target.requestBudget?.(scenario);
  const warmupRequests = budget ? Math.min(opts.warmup, budget.maxWarmup) : opts.warmup;
  const timeoutMs = budget ? Math.max(opts.requestTimeoutMs, budget.minTimeoutMs) : opts.requestTimeoutMs;
  if (budget && (warmupRequests !== opts.warmup || timeoutMs !== opts.requestTimeoutMs)) {
    log(`${scenario.name}/${target.name}: an instance per request costs seconds: ${warmupRequests} warm-up requests, ${timeoutMs / 1000} s request timeout`);
  }
  const base = { scenario: scenario.name, target: target.name, engine };
  const keyOf = (r: Route): RowKey => ({ scenario: scenario.name, route: r.name, target: target.name });
  const finished = new Set<string>();
  const finishRoute = (row: RunRow) => {
    finished.add(row.route);
    finish(row);
  };
  const failAll = (routes: Route[], reason: string) =>
    routes.filter((r) => !finished.has(r.name)).forEach((r) => finishRoute({ ...base, route: r.name, status: 'failed', reason, client }));
  let probed = !opts.isolation;
  const unprobed = (reason: string, status: 'skipped' | 'failed' = 'failed') => {
    if (probed) return;
    probed = true;
    finishCells(unprobedCells(scenario, target, `not probed: ${reason}`, opts.suite?.only, status));
  };

  if (client === 'keepalive' && scenario.keepAlive === false && pair.routes.length) {
    for (const r of pair.routes) {
      finishRoute({ ...base, route: r.name, status: 'skipped', client, notApplicable: true, reason: `${scenario.name} closes every connection, so keep-alive load does not apply` });
    }
    unprobed('keep-alive load does not apply, so no server was started', 'skipped');
    return;
  }

  let server: RunningServer | undefined;
  try {
    const port = opts.port ?? (await findFreePort(opts.host));
    if (opts.port !== undefined) await assertPortFree(opts.host, port);
    const scenarioSettings: ScenarioSettings = { ...opts.scenarioSettings, host: opts.host, port, readyTimeoutMs: opts.readyTimeoutSec * 1000 };
    // one server serves every route of the pair: only the route that waits for it is `starting`;
    // the others stay pending until their turn, so they do not count time while another measures
    if (pair.routes[0]) emit({ kind: 'phase', row: keyOf(pair.routes[0]), phase: 'starting' });
    server = await target.start({ scenario, settings: scenarioSettings, serverCpus: pinning.server, signal: opts.signal, log });
  } catch (err) {
    failAll(pair.routes, (err as Error).message);
    unprobed((err as Error).message);
    return;
  }

  const serverGone = new AbortController();
  let deathReason: string | null = null;
  server.died?.then((reason) => {
    deathReason = reason;
    serverGone.abort();
  });
  const onCancel = () => serverGone.abort();
  opts.signal?.addEventListener('abort', onCancel, { once: true });

  try {
    const url = new URL(server.url);
    const loadBase = {
      host: url.hostname,
      port: Number(url.port),
      connections: opts.connections,
      timeoutMs,
      sampleEvery: opts.sampleEvery,
      clientCpus: pinning.client,
      signal: serverGone.signal,
    };
    for (const [i, route] of pair.routes.entries()) {
      const key = keyOf(route);
      if (deathReason || opts.signal?.aborted) {
        const rest = pair.routes.slice(i);
        if (deathReason) failAll(rest, deathReason);
        else rest.forEach((r) => finishRoute({ ...base, route: r.name, status: 'skipped', reason: 'run cancelled' }));
        if (deathReason) unprobed(deathReason);
        else unprobed('run cancelled', 'skipped');
        return;
      }
      const request = { path: route.path, ...(route.method ? { method: route.method } : {}), ...(route.body !== undefined ? { body: route.body } : {}) };
      if (warmupRequests > 0) {
        emit({ kind: 'phase', row: key, phase: 'warming' });
        const warm = new LoadRecorder();
        await runLoad(client, { ...loadBase, ...request, requests: Math.max(warmupRequests, opts.connections), check: route.check, recorder: warm });
        if (warm.responses === 0 && !deathReason) {
          failAll([route], `no successful response during warm-up: ${warm.errorExamples[0] ?? 'unknown error'}`);
          continue;
        }
      }
      await server.resetCounters?.();
      emit({ kind: 'phase', row: key, phase: 'measuring' });
      const recorder = new LoadRecorder();
      const totalSec = measured.durationSec ?? 0;
      const ticker = setInterval(() => {
        const elapsedSec = (performance.now() - recorder.startedAt) / 1000;
        emit({
          kind: 'tick', row: key, elapsedSec, totalSec, ...(measured.requests ? { totalRequests: measured.requests } : {}), requests: recorder.responses,
          rps: recorder.responses / Math.max(elapsedSec, 1e-3),
          p50Us: recorder.histogram.totalCount ? percentileAt(recorder.histogram, 50) : 0,
          p99Us: recorder.histogram.totalCount ? percentileAt(recorder.histogram, 99) : 0,
          errors: recorder.errorCount(),
        });
      }, 1000);
      let outcome;
      try {
        outcome = await runLoad(client, { ...loadBase, ...request, ...measured, check: route.check, recorder });
      } finally {
        clearInterval(ticker);
      }
      if (deathReason) {
        failAll(pair.routes.slice(i), deathReason);
        unprobed(deathReason);
        return;
      }
      const counters = await server.counters?.();
      const isolation = scenario.probePath
        ? await probeIsolation(server.url, scenario.probePath, opts.probeRequests, timeoutMs)
        : { verdict: 'not measured' as const, samples: [], error: `${scenario.name} has no probe route (probePath)` };
      const row: RunRow = {
        ...base,
        route: route.name,
        path: route.path,
        status: 'ok',
        client,
        connections: opts.connections,
        pinning: { server: pinning.server, client: pinning.client },
        latencyUs: summarizeLatency(recorder.histogram),
        histogram: encodeHistogram(recorder.histogram),
        requests: recorder.responses,
        durationSec: Math.round(outcome.durationSec * 1000) / 1000,
        rps: Math.round((recorder.responses / outcome.durationSec) * 10) / 10,
        errors: recorder.nonZeroErrors(),
        checkedResponses: recorder.checked,
        ...(isolation.verdict !== 'not measured'
          ? { isolation: { verdict: isolation.verdict, samples: isolation.samples, expected: target.expectsIsolation ? 'isolated' : 'shared' } }
          : {}),
        ...(isolation.error ? { isolationError: isolation.error } : {}),
        ...(warmupRequests !== opts.warmup ? { warmupRequests } : {}),
        ...(recorder.errorExamples.length ? { errorExamples: recorder.errorExamples } : {}),
        ...(counters ? { engineCounters: counters } : {}),
      };
      if (recorder.responses === 0) {
        row.status = 'failed';
        row.reason = `no successful responses: ${recorder.errorExamples[0] ?? 'unknown error'}`;
      } else if (target.expectsIsolation && isolation.verdict === 'shared') {
        row.status = 'failed';
        row.reason = `isolation probe ${scenario.probePath} read shared (${isolation.samples.join(', ')}) on ${target.name}, which promises isolation`;
      }
      const rss = server.rssPeakBytes();
      if (rss !== undefined) row.rssPeakBytes = rss;
      finishRoute(row);
    }
    if (!probed && !deathReason && !opts.signal?.aborted) {
      probed = true;
      finishCells(await probeServer(server.url, scenario, target, engine, opts.suite));
    }
    if (deathReason) unprobed(deathReason);
  } catch (err) {
    failAll(pair.routes, deathReason ?? (err as Error).message);
    unprobed(deathReason ?? (err as Error).message);
  } finally {
    opts.signal?.removeEventListener('abort', onCancel);
    await server.stop();
  }
}
