// The README's user-defined workload (examples/node-http: a plain Node http server defined only by
// its scenario file) under the engine server, started through the harness's own kvm-* targets:
// every route passes the scenario's check in every reset mode (GET and the POST echo, through the
// per-request client), and the probe is isolated under the reset modes and shared under persist.
// Before the engine answered a stat of the directories leading to an allowed path, node exited at
// start-up (its realpath of server.mjs lstat()s /work: ENOENT). Needs /dev/kvm, the built engine
// server and per-request client, and node.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../../scenarios/file/load.ts';
import { kvmTargets, type ResetMode } from '../../harness/targets/kvm.ts';
import type { RunningServer } from '../../harness/targets/target.ts';
import { findFreePort } from '../../harness/process.ts';
import { assertProbe } from '../support/probe.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import { runPerRequest } from '../../harness/load/per-request.ts';
import { LoadRecorder } from '../../harness/load/recorder.ts';
import { engineServerSkip } from '../support/engine-skip.ts';
import { enduranceTimeoutMs } from '../support/endurance.ts';

const MODES: ResetMode[] = ['persist', 'pages', 'full', 'hybrid'];
/** requests per route and mode (every body checked; a behaviour check, not an endurance run: under
 * the test bed's emulation 100 per route took 392 s of CI's 30 minutes) */
const REQUESTS = 30;
const EXAMPLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/node-http/isobench.scenario.json');

const scenario = await loadScenarioFile(EXAMPLE);
const node = await scenario.availability();
const skip = engineServerSkip('node-http', node);

interface ServerCounters {
  resets: { pages: number; full: number };
  server: { served: number; failed: number };
}

for (const mode of MODES) {
  describe(`examples/node-http under kvm-${mode}`, { skip }, () => {
    let server: RunningServer;
    before(async () => {
      const target = kvmTargets.find((t) => t.name === `kvm-${mode}`);
      assert.ok(target, `no target kvm-${mode}`);
      const port = await findFreePort('127.0.0.1');
      server = await target.start({
        scenario,
        settings: { host: '127.0.0.1', port, readyTimeoutMs: 300_000 },
        serverCpus: null,
        log: () => {},
      });
    });
    after(async () => {
      await server?.stop();
    });

    test(`every route passes its check on ${REQUESTS} requests each`, { timeout: enduranceTimeoutMs(REQUESTS * 3, 120_000) }, async () => {
      const c0 = (await server.counters!()) as unknown as ServerCounters;
      for (const route of scenario.routes) {
        const recorder = new LoadRecorder();
        await runPerRequest({
          host: '127.0.0.1', port: Number(new URL(server.url).port), path: route.path,
          ...(route.method ? { method: route.method } : {}), ...(route.body !== undefined ? { body: route.body } : {}),
          connections: 1, requests: REQUESTS, timeoutMs: 30_000, check: route.check, sampleEvery: 1, clientCpus: null, recorder,
        });
        assert.equal(recorder.errorCount(), 0, `${route.name}: ${recorder.errorExamples.join('; ')}`);
        assert.equal(recorder.responses, REQUESTS, route.name);
        assert.equal(recorder.checked, REQUESTS, `${route.name}: bodies checked`);
      }
      const c = (await server.counters!()) as unknown as ServerCounters;
      const served = c.server.served - c0.server.served;
      assert.equal(served, REQUESTS * scenario.routes.length);
      assert.equal(c.server.failed - c0.server.failed, 0);
      const resets = c.resets.pages + c.resets.full - (c0.resets.pages + c0.resets.full);
      assert.equal(resets, mode === 'persist' ? 0 : served, JSON.stringify(c.resets));
    });

    test(mode === 'persist' ? 'the probe grows (state is kept)' : 'the probe is isolated: 1 on every request', async () => {
      assertProbe(await probeIsolation(server.url, scenario.probePath, 6, 30_000), mode === 'persist', 6);
    });
  });
}
