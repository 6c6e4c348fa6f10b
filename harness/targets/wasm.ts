// Target `wasm`: the scenario built into a wasi:http component, served with a fresh instance
// per request. Engine, in order: `wasmtime serve` when a wasmtime binary is found (setting
// `wasmtimePath`, env WASMTIME, or PATH), else Node's V8 through jco bindings in our own
// server process (harness/targets/wasm/server.ts). The row's engine names which one ran.
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
import { wasmSources } from './wasm/sources.ts';
import type { InstantiationSummary } from './wasm/stats.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SERVER_SCRIPT = join(REPO_ROOT, 'harness', 'targets', 'wasm', 'server.ts');
const READY_TIMEOUT_MS = 60_000;

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

export const wasmTarget: Target = {
  name: 'wasm',
  description: 'wasi:http component (componentize-js), fresh instance per request: wasmtime serve, else V8 via jco',
  // The server instantiates per request whatever the connection does, so keep-alive would be
  // valid too; per-request matches native's default so the rows compare like for like.
  clientMode: 'per-request',
  expectsIsolation: true,

  async availability(scenario): Promise<TargetAvailability> {
    if (!wasmSources[scenario.name]) return { ok: false, notApplicable: true, reason: `no wasm build for scenario ${scenario.name} (only JavaScript scenarios are componentized)` };
    try {
      return { ok: true, engine: chooseEngine().label };
    } catch (err) {
      return { ok: false, reason: `wasm toolchain missing: ${(err as Error).message}` };
    }
  },

  async start(ctx: TargetContext): Promise<RunningServer> {
    const { scenario, settings } = ctx;
    const source = wasmSources[scenario.name];
    if (!source) throw new Error(`wasm: no wasm build for scenario ${scenario.name}`);
    const engine = chooseEngine(settings);
    const build = await buildComponent(source, ctx.log);
    if (build.rebuilt.length) ctx.log(`wasm: rebuilt ${build.rebuilt.join(', ')}${build.componentizeMs ? ` (componentize ${(build.componentizeMs / 1000).toFixed(1)} s)` : ''}`);

    const name = `${scenario.name}/wasm`;
    const base = `http://${settings.host}:${settings.port}`;
    // only our V8 server reports instantiation stats; wasmtime serve has no such hook
    const statsDir = engine.kind === 'v8-jco' ? makeTempDir('isobench-wasm-') : null;
    const statsFile = statsDir ? join(statsDir, 'stats.json') : undefined;
    const proc = await startServerProcess({
      name,
      argv: serverArgv(engine, build, settings.host, settings.port, statsFile),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
      cwd: REPO_ROOT,
      cpus: ctx.serverCpus,
      readyUrl: base + scenario.routes[0]!.path,
      readyTimeoutMs: typeof settings.readyTimeoutMs === 'number' ? settings.readyTimeoutMs : READY_TIMEOUT_MS,
      log: ctx.log,
      signal: ctx.signal,
    }).catch((err: unknown) => {
      removeTempDir(statsDir ?? undefined);
      throw err;
    });
    ctx.log(`${name}: engine ${engine.label}`);
    return runningServer(proc, {
      url: base,
      label: name,
      ...(statsFile ? { stats: { file: statsFile, parse: (json: unknown) => toWasmCounters(json as InstantiationSummary) } } : {}),
      ...(statsDir ? { tempDir: statsDir } : {}),
    });
  },
};
