// Targets `wasm` and `wasm-snapshot`: the scenario's wasm build (its scenario file's `wasm`
// section) served with a fresh instance per request.
// - componentize-js (JavaScript): a wasi:http component; engine, in order: `wasmtime serve` when a
//   wasmtime binary is found (setting `wasmtimePath`, env WASMTIME, or PATH), else Node's V8
//   through jco bindings in our own server process (harness/targets/wasm/server.ts).
// - pyodide (a WSGI app): CPython compiled to wasm in Node's V8 (harness/targets/wasm/pyodide-server.ts),
//   a cold interpreter per request on `wasm`, one restored from a memory snapshot taken after the
//   app's import on `wasm-snapshot`.
// The row's engine names which one ran and how the instance was made.
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioSettings } from '../../scenarios/scenario.ts';
import type { EngineCounters } from '../../reports/results/types.ts';
import { isExecutable, makeTempDir, startServerProcess } from '../process.ts';
import { removeTempDir, runningServer } from './served.ts';
import type { RunningServer, Target, TargetAvailability, TargetContext } from './target.ts';
import { buildComponent } from './wasm/component.ts';
import { packageVersion } from './wasm/packages.ts';
import { pyodideEngineLabel, pyodideServerArgv, toPyodideCounters } from './wasm/pyodide.ts';
import { READY_PATH } from './wasm/pyodide.ts';
import type { InstantiationSummary } from './wasm/stats.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_SCRIPT = join(REPO_ROOT, 'harness', 'targets', 'wasm', 'server.ts');
const READY_TIMEOUT_MS = 60_000;
/** pyodide's start makes a snapshot and warms two instances: tens of seconds on a loaded machine */
const PYODIDE_READY_TIMEOUT_MS = 240_000;

/** wasmtime binary from the setting, env WASMTIME, or PATH; null when none */
export function findWasmtime(settings?: Partial<ScenarioSettings>, env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = (settings?.wasmtimePath as string | undefined) ?? env.WASMTIME;
  if (explicit) return isExecutable(explicit) ? explicit : null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'wasmtime'))) return join(dir, 'wasmtime');
  }
  return null;
}

export type WasmEngine =
  | { kind: 'wasmtime'; binary: string; label: string }
  | { kind: 'v8-jco'; label: string };

export function chooseEngine(settings?: Partial<ScenarioSettings>, env: NodeJS.ProcessEnv = process.env): WasmEngine {
  const wasmtime = findWasmtime(settings, env);
  if (wasmtime) {
    const out = spawnSync(wasmtime, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const version = /wasmtime\S*\s+(\S+)/.exec(out.stdout ?? '')?.[1] ?? 'unknown version';
    return { kind: 'wasmtime', binary: wasmtime, label: `wasm (wasmtime ${version})` };
  }
  return { kind: 'v8-jco', label: `wasm (V8 ${process.versions.v8} via jco ${packageVersion('@bytecodealliance/jco')})` };
}

/** the command line that serves a built component with the chosen engine */
export function serverArgv(
  engine: WasmEngine,
  build: { componentPath: string; transpiledDir: string },
  host: string,
  port: number,
  statsFile?: string,
): string[] {
  if (engine.kind === 'wasmtime') {
    // `wasmtime serve` instantiates the component afresh for every request by design;
    // -S cli gives StarlingMonkey the wasi:cli imports it links against.
    return [engine.binary, 'serve', '--addr', `${host}:${port}`, '-S', 'cli=y', build.componentPath];
  }
  return [
    process.execPath, '--import', 'tsx', SERVER_SCRIPT, '--dir', build.transpiledDir, '--host', host, '--port', String(port),
    ...(statsFile ? ['--stats-file', statsFile] : []),
  ];
}

/** The V8 server's instantiation stats as the row's engine counters: nothing is reset, every request gets a new instance. */
export function toWasmCounters(summary: InstantiationSummary): EngineCounters {
  return { ...summary, mode: 'fresh-instance' };
}

type InstanceMode = 'cold' | 'snapshot';

const COMPONENT_HAS_ONE_MODE =
  'componentize-js builds have one instance mode (a pre-initialised component instantiated per request): see the wasm row';

function wasmTargetFor(instance: InstanceMode): Target {
  return {
    name: instance === 'cold' ? 'wasm' : 'wasm-snapshot',
    description:
      instance === 'cold'
        ? 'fresh wasm instance per request: wasi:http component (wasmtime serve, else V8 via jco), or a cold pyodide interpreter'
        : 'fresh wasm instance per request restored from a memory snapshot taken after the app was imported (pyodide)',
    // The server instantiates per request whatever the connection does, so keep-alive would be
    // valid too; per-request matches native's default so the rows compare like for like.
    clientMode: 'per-request',
    expectsIsolation: true,

    // A per-request interpreter costs seconds: a long warm-up would take minutes, and the
    // run's default request timeout would cut requests off.
    requestBudget: (scenario) => (scenario.wasm?.kind === 'pyodide' ? { maxWarmup: 3, minTimeoutMs: 120_000 } : undefined),

    async availability(scenario): Promise<TargetAvailability> {
      const wasm = scenario.wasm;
      if (!wasm) return { ok: false, notApplicable: true, reason: `no wasm build for scenario ${scenario.name} (its scenario file has no "wasm" section)` };
      if (wasm.kind === 'pyodide') {
        const label = pyodideEngineLabel(instance);
        return label.ok ? { ok: true, engine: label.engine } : { ok: false, reason: label.reason };
      }
      if (instance === 'snapshot') return { ok: false, notApplicable: true, reason: COMPONENT_HAS_ONE_MODE };
      try {
        return { ok: true, engine: chooseEngine().label };
      } catch (err) {
        return { ok: false, reason: `wasm toolchain missing: ${(err as Error).message}` };
      }
    },

    async start(ctx: TargetContext): Promise<RunningServer> {
      const { scenario, settings } = ctx;
      const wasm = scenario.wasm;
      if (!wasm) throw new Error(`wasm: no wasm build for scenario ${scenario.name}`);
      const name = `${scenario.name}/${this.name}`;
      const base = `http://${settings.host}:${settings.port}`;
      const statsDir = makeTempDir('isobench-wasm-');
      const statsFile = join(statsDir, 'stats.json');
      let argv: string[];
      let engineLabel: string;
      let parse: (json: unknown) => EngineCounters;
      let readyPath: string;
      let readyTimeoutMs = READY_TIMEOUT_MS;
      if (wasm.kind === 'pyodide') {
        // the WSGI callable is called directly: settings that only reach the server's command line
        // (python-wsgi's delayMs) would be silently lost, so refuse them
        const plain = scenario.launch({ host: settings.host, port: settings.port });
        const given = scenario.launch(settings);
        if (JSON.stringify([plain.argv.slice(1), plain.env]) !== JSON.stringify([given.argv.slice(1), given.env])) {
          throw new Error(`${scenario.name}: its settings change the server's command line, which a pyodide instance does not run; run the wasm rows without --set`);
        }
        argv = pyodideServerArgv(wasm, instance, settings.host, settings.port, statsFile);
        const label = pyodideEngineLabel(instance);
        engineLabel = label.ok ? label.engine : 'pyodide';
        parse = (json) => toPyodideCounters(json as InstantiationSummary & Record<string, unknown>);
        readyPath = READY_PATH;
        readyTimeoutMs = PYODIDE_READY_TIMEOUT_MS;
      } else {
        const engine = chooseEngine(settings);
        const build = await buildComponent(wasm, ctx.log);
        if (build.rebuilt.length) ctx.log(`wasm: rebuilt ${build.rebuilt.join(', ')}${build.componentizeMs ? ` (componentize ${(build.componentizeMs / 1000).toFixed(1)} s)` : ''}`);
        // only our V8 server reports instantiation stats; wasmtime serve has no such hook
        argv = serverArgv(engine, build, settings.host, settings.port, engine.kind === 'v8-jco' ? statsFile : undefined);
        engineLabel = engine.label;
        parse = (json) => toWasmCounters(json as InstantiationSummary);
        readyPath = scenario.routes[0]!.path;
      }
      const proc = await startServerProcess({
        name,
        argv,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
        cwd: REPO_ROOT,
        cpus: ctx.serverCpus,
        readyUrl: base + readyPath,
        readyTimeoutMs: typeof settings.readyTimeoutMs === 'number' ? Math.max(settings.readyTimeoutMs, readyTimeoutMs) : readyTimeoutMs,
        log: ctx.log,
        signal: ctx.signal,
      }).catch((err: unknown) => {
        removeTempDir(statsDir);
        throw err;
      });
      ctx.log(`${name}: engine ${engineLabel}`);
      const reportsStats = wasm.kind === 'pyodide' || argv[0] === process.execPath;
      return runningServer(proc, { url: base, label: name, ...(reportsStats ? { stats: { file: statsFile, parse } } : {}), tempDir: statsDir });
    },
  };
}

export const wasmTarget: Target = wasmTargetFor('cold');
export const wasmSnapshotTarget: Target = wasmTargetFor('snapshot');
