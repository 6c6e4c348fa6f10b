// Targets kvm-persist / kvm-pages / kvm-full / kvm-hybrid: the scenario's unmodified server run
// under our engine's server (native/build/isobench-server), one reset mode each. The engine
// server is started like any other server (harness/process.ts); its counters come from the JSON
// it writes to --stats-file on SIGUSR1, and SIGUSR2 clears them after the harness's warm-up.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineCounters } from '../../reports/results/types.ts';
import type { LaunchSpec, ScenarioEngineDefaults, ScenarioSettings } from '../../scenarios/scenario.ts';
import { makeTempDir, startServerProcess } from '../process.ts';
import { removeTempDir, runningServer } from './served.ts';
import { DEFAULT_READY_TIMEOUT_MS } from './native.ts';
import type { RunningServer, Target, TargetContext } from './target.ts';

export type ResetMode = 'persist' | 'pages' | 'full' | 'hybrid';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ENGINE_SERVER = path.join(repoRoot, 'native/build/isobench-server');
const DEFAULT_THRESHOLD_BYTES = 1 << 20;
// What a runtime needs from the engine (guest memory, the master's warm-up, private dirs, the hybrid
// threshold) comes from the scenario file's `engine` section (Scenario.engine); settings override.
const DEFAULT_MAX_REQUEST_MS = 5000;
const DEFAULT_MEMORY_MB = 512;
/** Per-request memory cap passed to the engine server (--max-request-mb; setting maxRequestMb,
 * 0 = none). The engine counts a worker's private memory since its last full reset and refuses a
 * host allocation that would pass it (native/DESIGN.md "Limits"). python-wsgi and deno-react-ssr
 * hold ~2 MiB in steady state: 256 MiB is >100x headroom, yet bounds what one request (or a
 * persist worker over a run) can make the host allocate on an 80 GiB sparse guest. */
export const DEFAULT_MAX_REQUEST_MB = 256;

function engineServerPath(): string {
  return process.env.ISOBENCH_ENGINE_SERVER || ENGINE_SERVER;
}

function positiveInt(v: unknown, fallback: number, name: string): number {
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number >= 0, got ${String(v)}`);
  return n;
}

export interface EngineServerOptions {
  mode: ResetMode;
  thresholdBytes: number;
  workers: number;
  /** requests the master serves before the freeze (the engine's own warm-up, not the harness's) */
  masterWarmup: number;
  maxRequestMs: number;
  maxRequestMb: number;
  memoryMb: number;
  statsFile: string;
  verbose?: boolean;
  /** tests only (`--set engineInjectExit=true`): one extra VM exit per request, which the gate must catch */
  testInjectExit?: boolean;
}

export function engineServerOptions(mode: ResetMode, settings: Partial<ScenarioSettings>, statsFile: string, d: ScenarioEngineDefaults = {}): EngineServerOptions {
  const defaultThreshold = d.resetThresholdBytes || DEFAULT_THRESHOLD_BYTES;
  return {
    mode,
    thresholdBytes: positiveInt(settings.resetThresholdBytes, defaultThreshold, 'resetThresholdBytes'),
    workers: Math.max(1, positiveInt(settings.workers, 1, 'workers')),
    masterWarmup: positiveInt(settings.engineWarmup, d.engineWarmup ?? 0, 'engineWarmup'),
    maxRequestMs: Math.max(1, positiveInt(settings.maxRequestMs, DEFAULT_MAX_REQUEST_MS, 'maxRequestMs')),
    maxRequestMb: positiveInt(settings.maxRequestMb, DEFAULT_MAX_REQUEST_MB, 'maxRequestMb'),
    memoryMb: Math.max(16, positiveInt(settings.memoryMb, d.memoryMb ?? DEFAULT_MEMORY_MB, 'memoryMb')),
    statsFile,
  };
}

/** The engine server's command line for a scenario launch. */
export function engineServerArgv(binary: string, launch: LaunchSpec, host: string, port: number, o: EngineServerOptions): string[] {
  const listenHost = host.includes(':') ? `[${host}]` : host;
  const argv = [
    binary,
    '--reset', o.mode,
    '--reset-threshold', String(o.thresholdBytes),
    '--workers', String(o.workers),
    '--warmup', String(o.masterWarmup),
    '--listen', `${listenHost}:${port}`,
    '--max-request-ms', String(o.maxRequestMs),
    '--memory-mb', String(o.memoryMb),
    '--stats-file', o.statsFile,
    '--cwd', launch.cwd,
  ];
  if (o.maxRequestMb > 0) argv.push('--max-request-mb', String(o.maxRequestMb));
  for (const p of launch.readPaths) argv.push('--allow-read', p);
  for (const [k, v] of Object.entries(launch.env)) argv.push('--env', `${k}=${v}`);
  if (o.verbose) argv.push('--verbose');
  if (o.testInjectExit) argv.push('--test-inject-exit');
  return [...argv, '--', ...launch.argv];
}

/** Maps the server's stats JSON onto the results' EngineCounters (unknown fields are kept). */
export function toEngineCounters(raw: Record<string, unknown>, mode: ResetMode): EngineCounters {
  const resets = (raw.resets ?? {}) as { pages?: number; full?: number; persist?: number };
  return {
    ...raw,
    mode,
    requests: Number(raw.requests ?? 0),
    resets: { pages: Number(resets.pages ?? 0), full: Number(resets.full ?? 0) },
  } as EngineCounters;
}

/** Gives each listed env variable (unless the launch sets it) an empty directory under the server's
 * temporary dir, readable by the guest. */
export function withPrivateDirs(launch: LaunchSpec, serverDir: string, envNames: string[]): LaunchSpec {
  const env = { ...launch.env };
  const readPaths = [...launch.readPaths];
  for (const name of envNames) {
    if (env[name]) continue;
    const d = path.join(serverDir, name.toLowerCase());
    mkdirSync(d);
    env[name] = d;
    readPaths.push(d);
  }
  return { ...launch, env, readPaths };
}

function kvmAvailable(): string | null {
  return existsSync('/dev/kvm') ? null : '/dev/kvm is absent';
}

export function kvmTarget(mode: ResetMode, description: string): Target {
  const name = `kvm-${mode}`;
  return {
    name,
    description,
    clientMode: 'per-request',
    expectsIsolation: mode !== 'persist',

    async availability(scenario) {
      const noKvm = kvmAvailable();
      if (noKvm) return { ok: false, reason: noKvm };
      const bin = engineServerPath();
      if (!existsSync(bin)) return { ok: false, reason: `the engine server is not built (${bin}; run make -C native)` };
      const a = await scenario.availability();
      if (!a.ok) return { ok: false, reason: a.reason };
      return { ok: true, engine: `${name} (isobench engine, ${a.version})` };
    },

    async start(ctx: TargetContext): Promise<RunningServer> {
      const { scenario, settings } = ctx;
      const dir = makeTempDir('isobench-kvm-');
      const launch = withPrivateDirs(scenario.launch(settings), dir, scenario.engine?.privateDirEnv ?? []);
      const statsFile = path.join(dir, 'stats.json');
      const opts = engineServerOptions(mode, settings, statsFile, scenario.engine);
      opts.verbose = settings.engineVerbose === true;
      opts.testInjectExit = settings.engineInjectExit === true;
      const argv = engineServerArgv(engineServerPath(), launch, settings.host, settings.port, opts);
      const label = `${scenario.name}/${name}`;
      const base = `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${settings.port}`;
      const readyTimeoutMs = typeof settings.readyTimeoutMs === 'number' ? settings.readyTimeoutMs : DEFAULT_READY_TIMEOUT_MS * 2;
      let proc;
      try {
        proc = await startServerProcess({
          name: label,
          argv,
          env: { PATH: '/usr/bin:/bin' },
          cwd: launch.cwd,
          cpus: ctx.serverCpus,
          readyUrl: base + scenario.routes[0]!.path,
          readyTimeoutMs,
          log: ctx.log,
          signal: ctx.signal,
        });
      } catch (err) {
        removeTempDir(dir);
        throw err;
      }
      return runningServer(proc, {
        url: base,
        label,
        stats: { file: statsFile, parse: (json) => toEngineCounters(json as Record<string, unknown>, mode) },
        tempDir: dir,
      });
    },
  };
}

export const kvmTargets: Target[] = [
  kvmTarget('persist', 'KVM sandbox, never reset (sandbox overhead only)'),
  kvmTarget('pages', 'KVM sandbox, restore dirtied pages after each request'),
  kvmTarget('full', 'KVM sandbox, discard all request memory and page tables after each request'),
  kvmTarget('hybrid', 'KVM sandbox, pages reset unless the request passed the memory threshold or faulted'),
];
