// Hostile python handlers under the engine (issue 12): read /etc/shadow, connect out, write outside
// the app's folder, fork, exec, spawn, loop forever, allocate 2 GiB. Each gets a clear refusal (an
// errno name) or is cut (503/500); after each, the server serves the next request with the probe
// isolated, and nothing on the host changed: no child process of the server, no extra host fd, no
// new file beside the app, in its parent or in /tmp, no connection to a host listener.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { RunningServer } from '../../harness/targets/target.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import { get } from '../support/http.ts';
import { childPids, idleFdTargets, newFds, programPid } from '../support/proc.ts';
import { assertProbe } from '../support/probe.ts';
import { LIMIT_MS, REFUSED, counters, requestLimitMs, scenarioDir, skip, startEngine, testScenario } from '../support/python-engine.ts';

/** the servers' per-request time limit on this machine (LIMIT_MS natively; calibrated on a slow CPU) */
const limitMs = skip ? LIMIT_MS : await requestLimitMs();

for (const mode of ['pages', 'full'] as const) {
  describe(`hostile python handlers under kvm-${mode}`, { skip, timeout: 120_000 + 20 * limitMs }, () => {
    let server: RunningServer;
    let tmp: string;
    let hostPort: number;
    let accepted = 0;
    const listener = net.createServer((s) => {
      accepted++;
      s.destroy();
    });
    before(async () => {
      tmp = mkdtempSync(path.join(tmpdir(), 'isobench-hostile-'));
      await new Promise<void>((r) => listener.listen({ host: '127.0.0.1', port: 0 }, () => r()));
      hostPort = (listener.address() as net.AddressInfo).port;
      server = await startEngine(mode, testScenario());
    });
    after(async () => {
      await server?.stop();
      await new Promise((r) => listener.close(r));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    /** route -> the statuses and body the answer may have: a refusal (errno name) or the cut */
    const attacks = (): [string, number[], RegExp][] => [
      ['/read?path=/etc/shadow', [200], REFUSED],
      [`/connect-out?port=${hostPort}`, [200], /^(EACCES|EPERM)$/],
      [`/write?path=${encodeURIComponent(path.join(tmp, 'outside.txt'))}`, [200], /^(EACCES|EPERM|ENOENT|EROFS)$/],
      ['/write?path=/tmp/isobench-hostile-write.txt', [200], /^(EACCES|EPERM|ENOENT|EROFS)$/],
      ['/write?path=../escaped.txt', [200], /^(EACCES|EPERM|ENOENT|EROFS)$/],
      ['/fork', [200], /^E[A-Z]+$/],
      ['/exec', [200], /^E[A-Z]+$/],
      ['/spawn', [200], /^E[A-Z]+$/],
      ['/loop', [503], /./],
      // past the per-request cap (503) or past the VM's memory (python's MemoryError: 500)
      ['/alloc?mb=2048', [500, 503], /./],
    ];

    test('every attack is refused or cut, the next request is served, the probe stays isolated, the host is unchanged', async (t) => {
      const pid = programPid(server.pid);
      await get(server.url + '/'); // warm: the first request's lazily opened fds are not the attacks'
      const c0 = await counters(server);
      const fds0 = await idleFdTargets(server, pid);
      const tmpBefore = readdirSync(tmpdir()).sort();
      for (const [route, statuses, body] of attacks()) {
        const r = await get(server.url + route, limitMs + 15_000);
        t.diagnostic(`${route}: ${r.status} ${r.body.slice(0, 60).trim()}`);
        assert.ok(statuses.includes(r.status), `${route}: ${r.status} ${r.body.slice(0, 120)}`);
        assert.match(r.body, body, `${route} answered ${r.body.slice(0, 120)}`);
        const hello = await get(server.url + '/');
        assert.equal(pythonWsgi.routes[0]!.check(hello.status, hello.body), null, `after ${route}`);
        assertProbe(await probeIsolation(server.url, pythonWsgi.probePath, 3), false, 3);
        assert.deepEqual(childPids(pid), [], `after ${route}: the server has child processes`);
        const fds = await idleFdTargets(server, pid);
        assert.ok(fds.size <= fds0.size, `after ${route}: host fds ${fds0.size} -> ${fds.size}: ${newFds(fds0, fds).join(', ')}`);
      }
      assert.equal(accepted, 0, 'the guest reached a host listener');
      assert.deepEqual(readdirSync(tmp), [], 'a file appeared beside the app');
      assert.ok(!existsSync('/tmp/isobench-hostile-write.txt'), 'the guest wrote /tmp/isobench-hostile-write.txt');
      assert.ok(!existsSync(path.join(scenarioDir, '..', 'escaped.txt')), 'the guest wrote outside its folder');
      assert.deepEqual(readdirSync(tmpdir()).sort(), tmpBefore, 'the host /tmp changed');
      const c = await counters(server);
      assert.equal(c.limitHits.time - c0.limitHits.time, 1);
    });
  });
}
