// The wasm target's pyodide side, as seen from the harness: where the package is, the engine's
// name for the row, the server's command line and its stats as the row's engine counters.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineCounters } from '../../../reports/results/types.ts';
import type { WasmBuild } from '../../../scenarios/scenario.ts';
import type { InstantiationSummary } from './stats.ts';

export const PYODIDE_SERVER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pyodide-server.ts');
/** answered by the server itself (no instance): readiness polls must not each boot an interpreter */
export const READY_PATH = '/__isobench_ready';
/** what the server needs from the package, all read from disk: nothing is fetched at run time */
const OFFLINE_FILES = ['pyodide.mjs', 'pyodide.asm.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json'];

export function pyodidePackage(): { dir: string; version: string } | { reason: string } {
  try {
    const manifest = createRequire(import.meta.url).resolve('pyodide/package.json');
    const dir = path.dirname(manifest);
    const missing = OFFLINE_FILES.filter((f) => !existsSync(path.join(dir, f)));
    if (missing.length) return { reason: `the pyodide package lacks ${missing.join(', ')} (reinstall it: npm ci)` };
    return { dir, version: (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version };
  } catch {
    return { reason: 'the pyodide package is not installed (npm ci)' };
  }
}

export function pyodideEngineLabel(instance: 'cold' | 'snapshot'): { ok: true; engine: string } | { ok: false; reason: string } {
  const pkg = pyodidePackage();
  if ('reason' in pkg) return { ok: false, reason: pkg.reason };
  const how = instance === 'cold' ? 'cold instance per request' : 'instance from a memory snapshot per request';
  return { ok: true, engine: `wasm (pyodide ${pkg.version}, V8 ${process.versions.v8}, ${how})` };
}

export function pyodideServerArgv(wasm: Extract<WasmBuild, { kind: 'pyodide' }>, instance: 'cold' | 'snapshot', host: string, port: number, statsFile: string): string[] {
  return [
    process.execPath, '--import', 'tsx', PYODIDE_SERVER_SCRIPT,
    '--app', wasm.appFile, '--callable', wasm.callable, '--instance', instance,
    '--host', host, '--port', String(port), '--stats-file', statsFile,
  ];
}

/** the server's stats as engine counters: instantiateUs is the whole instance creation per request
 * (cold: boot + import the app; snapshot: restore), coreInstantiateUs its WebAssembly.instantiate part */
export function toPyodideCounters(summary: InstantiationSummary & Record<string, unknown>): EngineCounters {
  return { ...summary, mode: 'fresh-instance' };
}
