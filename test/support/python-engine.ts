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
import { get } from './http.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const scenarioDir = path.join(root, 'scenarios/python-wsgi');
export const APP = path.join(scenarioDir, 'app.py');

/** the tests' per-request time limit on a machine where requests take milliseconds (see requestLimitMs) */
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

/** how long the server may take to answer its first request: a hang detector (python boots in ~10 s in the test bed) */
const READY_TIMEOUT_MS = 600_000;

async function startWithLimit(mode: ResetMode, scenario: Scenario, maxRequestMs: number): Promise<RunningServer> {
  const target = kvmTargets.find((t) => t.name === `kvm-${mode}`);
  assert.ok(target, `no target kvm-${mode}`);
  const port = await findFreePort('127.0.0.1');
  return target.start({
    scenario,
    settings: {
      host: '127.0.0.1', port, maxRequestMs, maxRequestMb: LIMIT_MB, memoryMb: MEMORY_MB, resetThresholdBytes: HYBRID_THRESHOLD_BYTES,
      readyTimeoutMs: READY_TIMEOUT_MS,
    },
    serverCpus: null,
    log: () => {},
  });
}

/** MiB the calibration request touches: twice the largest legitimate request of the tests (LIMIT_MB / 4) */
const CALIBRATION_MB = LIMIT_MB / 2;
/** the time limit as a multiple of the calibration request's time (what it leaves: see requestLimitMs) */
const CALIBRATION_FACTOR = 8;
let calibrated: Promise<number> | undefined;

/**
 * The per-request time limit the tests give the server here: LIMIT_MS, or, where requests are far
 * slower than on hardware, CALIBRATION_FACTOR times the slowest of three `/alloc?mb=16` requests
 * measured under kvm-full (every request starts from the frozen state, so its pages are all
 * touched afresh) with a 60 s limit. Under QEMU's emulation (the test bed) every VM exit and
 * nested-paging fault costs about a millisecond, and the legitimate 8 MiB request alone outlasts
 * 400 ms. With the factor 8 the 8 MiB request has 16 times its time, a request past the 32 MiB
 * memory cap reaches the cap within a third of the limit (in the test bed 1-2.6 times the
 * calibration request's time), so the cut is the memory limit's, which the tests check by the
 * counters, and the loop test still checks a cut at the limit.
 * Natively the calibration request takes milliseconds and the limit stays LIMIT_MS. Measured once
 * per test file (one extra server start).
 */
export function requestLimitMs(): Promise<number> {
  calibrated ??= (async () => {
    const server = await startWithLimit('full', testScenario(), 60_000);
    try {
      let slowestMs = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await get(server.url + `/alloc?mb=${CALIBRATION_MB}`, 90_000);
        slowestMs = Math.max(slowestMs, performance.now() - t0);
        assert.deepEqual([r.status, r.body], [200, `touched ${CALIBRATION_MB} MiB`], 'the calibration request failed');
      }
      return Math.max(LIMIT_MS, Math.ceil(slowestMs * CALIBRATION_FACTOR));
    } finally {
      await server.stop();
    }
  })();
  return calibrated;
}

/** A kvm-<mode> server for the scenario with the tests' limits (time: requestLimitMs()). */
export async function startEngine(mode: ResetMode, scenario: Scenario): Promise<RunningServer> {
  return startWithLimit(mode, scenario, await requestLimitMs());
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
