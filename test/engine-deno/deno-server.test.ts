// The npm package's deno serving the deno-react-ssr scenario under the engine server, started
// through the harness's own targets (native and kvm-*): the page is byte-identical to native
// deno's in every reset mode, /hello answers, the isolation probe is isolated under the reset
// modes and shared under persist, and a run of many requests per mode keeps host fds and RSS
// bounded. Needs /dev/kvm, the built engine server and per-request client, and deno.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { kvmTargets, type ResetMode } from '../../harness/targets/kvm.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import type { RunningServer } from '../../harness/targets/target.ts';
import { findFreePort } from '../../harness/process.ts';
import { get } from '../support/http.ts';
import { idleFdTargets, newFds, programPid, rssBytes } from '../support/proc.ts';
import { assertProbe } from '../support/probe.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import { runPerRequest } from '../../harness/load/per-request.ts';
import { LoadRecorder } from '../../harness/load/recorder.ts';
import { engineServerSkip } from '../support/engine-skip.ts';
import { enduranceRequests, enduranceTimeoutMs } from '../support/endurance.ts';

const MODES: ResetMode[] = ['persist', 'pages', 'full', 'hybrid'];
/** page requests per mode in the endurance run (the issue asks 1,000; see ENDURANCE below) */
const ENDURANCE_REQUESTS = Number(process.env.ISOBENCH_DENO_ENDURANCE || enduranceRequests(1000));
/** how long an engine server may take to answer its first request (the gate's test allows as long) */
const READY_TIMEOUT_MS = 600_000;
/** RSS the server may gain over the run (a 16 KiB-per-request leak over 1,000 requests would pass) */
const RSS_BOUND_BYTES = 16 << 20;

const deno = await denoReactSsr.availability();
const skip = engineServerSkip('deno-react-ssr', deno);



interface ServerCounters {
  resets: { pages: number; full: number };
  server: { served: number; failed: number };
  workerRssBytes: number;
}

describe('deno-react-ssr under the engine', { skip }, () => {
  let nativePage = '';

  before(async () => {
    await denoReactSsr.build();
    const port = await findFreePort('127.0.0.1');
    const server = await nativeTarget.start({ scenario: denoReactSsr, settings: { host: '127.0.0.1', port }, serverCpus: null, log: () => {} });
    try {
      const r = await get(server.url + '/');
      assert.equal(denoReactSsr.routes[0]!.check(r.status, r.body), null, 'native page fails the scenario check');
      nativePage = r.body;
    } finally {
      await server.stop();
    }
  });

  for (const mode of MODES) {
    describe(`kvm-${mode}`, () => {
      let server: RunningServer;
      before(async () => {
        const target = kvmTargets.find((t) => t.name === `kvm-${mode}`);
        assert.ok(target, `no target kvm-${mode}`);
        const port = await findFreePort('127.0.0.1');
        // a hang detector, not a budget: under the test bed's emulation Deno takes 40-70 s to be ready
        const settings = { host: '127.0.0.1', port, readyTimeoutMs: READY_TIMEOUT_MS };
        server = await target.start({ scenario: denoReactSsr, settings, serverCpus: null, log: () => {} });
      });
      after(async () => {
        await server?.stop();
      });

      test('serves the page byte-identical to native deno, and /hello', async () => {
        for (let i = 0; i < 3; i++) {
          const r = await get(server.url + '/');
          assert.equal(r.status, 200);
          assert.ok(r.body === nativePage, `page #${i} differs from native (${r.body.length} vs ${nativePage.length} chars)`);
        }
        const hello = await get(server.url + '/hello');
        assert.equal(denoReactSsr.routes[1]!.check(hello.status, hello.body), null);
      });

      test(mode === 'persist' ? 'the probe grows (state is kept)' : 'the probe reads 1 on every request', async () => {
        assertProbe(await probeIsolation(server.url, denoReactSsr.probePath, 6), mode === 'persist', 6);
      });

      test(`${ENDURANCE_REQUESTS} page requests: all pass the check, no growth of host fds or RSS`, { timeout: enduranceTimeoutMs(ENDURANCE_REQUESTS, 120_000) }, async (t) => {
        const pid = programPid(server.pid);
        const c0 = (await server.counters!()) as unknown as ServerCounters;
        const fds0 = await idleFdTargets(server, pid);
        const rss0 = rssBytes(pid);
        const recorder = new LoadRecorder();
        const route = denoReactSsr.routes[0]!;
        await runPerRequest({
          host: '127.0.0.1', port: Number(new URL(server.url).port), path: route.path, connections: 1, requests: ENDURANCE_REQUESTS,
          timeoutMs: 15_000, check: route.check, sampleEvery: 10, clientCpus: null, recorder,
        });
        assert.equal(recorder.errorCount(), 0, recorder.errorExamples.join('; '));
        assert.equal(recorder.responses, ENDURANCE_REQUESTS);
        assert.ok(recorder.checked >= ENDURANCE_REQUESTS / 10, `only ${recorder.checked} bodies checked`);
        const fds1 = await idleFdTargets(server, pid);
        const rss1 = rssBytes(pid);
        const c = (await server.counters!()) as unknown as ServerCounters;
        t.diagnostic(`host fds ${fds0.size} -> ${fds1.size}, RSS ${(rss0 / 1048576).toFixed(1)} -> ${(rss1 / 1048576).toFixed(1)} MiB`);
        const served = c.server.served - c0.server.served;
        assert.equal(served, ENDURANCE_REQUESTS, `served ${served}`);
        assert.equal(c.server.failed - c0.server.failed, 0);
        assert.ok(fds1.size <= fds0.size, `host fds ${fds0.size} -> ${fds1.size}: ${newFds(fds0, fds1).join(', ')}`);
        // persist keeps the guest's memory: pages its heap touches for the first time become the
        // worker's private pages (workerRssBytes, the guest's own growth, as natively); the host's
        // own memory must stay bounded in every mode
        const guestGrowth = Math.max(0, c.workerRssBytes - c0.workerRssBytes);
        if (mode !== 'persist') assert.ok(guestGrowth < RSS_BOUND_BYTES, `private guest memory grew by ${guestGrowth} bytes`);
        assert.ok(rss1 - rss0 - guestGrowth < RSS_BOUND_BYTES, `RSS ${rss0} -> ${rss1}, guest private pages +${guestGrowth} bytes`);
        const resets = c.resets.pages + c.resets.full - (c0.resets.pages + c0.resets.full);
        assert.equal(resets, mode === 'persist' ? 0 : ENDURANCE_REQUESTS, JSON.stringify(c.resets));
      });
    });
  }
});
