// The python-wsgi scenario under the engine server, for the engine-python tests: its test routes
// turned on, a kvm-* target started with the tests' limits, the server's counters.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { Scenario } from '../../scenarios/scenario.ts';
import { ENGINE_SERVER, kvmTargets, type ResetMode } from '../../harness/targets/kvm.ts';
import type { RunningServer } from '../../harness/targets/target.ts';
import { findFreePort } from '../../harness/process.ts';
import { engineSkip } from './engine-skip.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const scenarioDir = path.join(root, 'scenarios/python-wsgi');
export const APP = path.join(scenarioDir, 'app.py');

export const LIMIT_MS = 400;
export const LIMIT_MB = 32;
export const MEMORY_MB = 256;
/** hybrid: python-wsgi's steady private set is ~1.9 MiB, so hello/page stay on pages and /alloc?mb=8 goes full */
export const HYBRID_THRESHOLD_BYTES = 4 << 20;
/** the errno names a careful sandbox may answer a refused access with */
export const REFUSED = /^(EACCES|EPERM|ENOENT)$/;

const python = await pythonWsgi.availability();
/** why the engine-python tests cannot run here, or false */
export const skip = engineSkip(!existsSync('/dev/kvm')
  ? 'needs /dev/kvm'
  : !existsSync(process.env.ISOBENCH_ENGINE_SERVER || ENGINE_SERVER)
    ? 'engine server not built (make -C native)'
    : !python.ok
      ? `python-wsgi unavailable: ${python.reason}`
      : false);

/** The scenario with its test routes on and, optionally, its folder moved to a copy (readable as a whole). */
export function testScenario(folder?: string): Scenario {
  return {
    ...pythonWsgi,
    launch(settings) {
      const spec = pythonWsgi.launch(settings);
      assert.ok(spec.argv.includes(APP), `launch argv does not run ${APP}: ${spec.argv.join(' ')}`);
      const env = { ...spec.env, ISOBENCH_TEST_ROUTES: '1' };
      if (!folder) return { ...spec, env };
      const app = path.join(folder, 'app.py');
      return {
        ...spec,
        env,
        argv: spec.argv.map((a) => (a === APP ? app : a)),
        cwd: folder,
        readPaths: [...spec.readPaths.filter((p) => p !== APP), folder],
      };
    },
  };
}

/** extra: settings to override (a slower machine: readyTimeoutMs, maxRequestMs) */
export async function startEngine(mode: ResetMode, scenario: Scenario, extra: Record<string, number> = {}): Promise<RunningServer> {
  const target = kvmTargets.find((t) => t.name === `kvm-${mode}`);
  assert.ok(target, `no target kvm-${mode}`);
  const port = await findFreePort('127.0.0.1');
  return target.start({
    scenario,
    settings: {
      host: '127.0.0.1', port, maxRequestMs: LIMIT_MS, maxRequestMb: LIMIT_MB, memoryMb: MEMORY_MB, resetThresholdBytes: HYBRID_THRESHOLD_BYTES,
      ...extra,
    },
    serverCpus: null,
    log: () => {},
  });
}

export interface ServerCounters {
  requests: number;
  resets: { pages: number; full: number };
  limitHits: { time: number; requestMemory: number };
  server: { served: number; failed: number };
  dirtyPagesPerRequest: { mean: number; max: number };
  net: { refused: { listen: number; connect: number; family: number } };
}

export async function counters(server: RunningServer): Promise<ServerCounters> {
  const c = await server.counters!();
  assert.ok(c, 'the server wrote no counters');
  return c as unknown as ServerCounters;
}
