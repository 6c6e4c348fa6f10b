// Debian's python3 serving the python-wsgi scenario under the engine server, started through the
// harness's own kvm-* targets: both routes in every reset mode, the isolation probe, the file and
// network sandbox (guest-side answers, and host-side opens through strace), the time and memory
// limits, and no growth of host fds or RSS over many requests per mode.
// The scenario's test-only routes (/loop, /alloc, /read, /connect-out, /listen-other) are enabled
// by ISOBENCH_TEST_ROUTES=1, which only these tests pass to the guest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { ResetMode } from '../../harness/targets/kvm.ts';
import type { RunningServer } from '../../harness/targets/target.ts';
import { findFreePort } from '../../harness/process.ts';
import { get } from '../support/http.ts';
import {
  LIMIT_MB, LIMIT_MS, REFUSED, counters, requestLimitMs, scenarioDir, skip, startEngine, testScenario,
} from '../support/python-engine.ts';
import { fdTargets, idleFdTargets, newFds, programPid, rssBytes } from '../support/proc.ts';
import { assertProbe } from '../support/probe.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import { runPerRequest } from '../../harness/load/per-request.ts';
import { LoadRecorder } from '../../harness/load/recorder.ts';
import { clientBinary } from '../../harness/load/client-binary.ts';
import { enduranceRequests, enduranceTimeoutMs } from '../support/endurance.ts';

const MODES: ResetMode[] = ['persist', 'pages', 'full', 'hybrid'];
/** requests per mode in the endurance test: half on /, half on /page (a multiple of 20: every 10th body is checked) */
const ENDURANCE_REQUESTS = enduranceRequests(1000);
/** RSS the server may gain over ENDURANCE_REQUESTS (a 16 KiB-per-request leak would pass 16 MiB) */
const RSS_BOUND_BYTES = 16 << 20;

const noClient = skip || (!existsSync(clientBinary) && 'per-request client not built (make -C native)');
const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' }).status === 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** the servers' per-request time limit on this machine (LIMIT_MS natively; calibrated on a slow CPU) */
const limitMs = skip ? LIMIT_MS : await requestLimitMs();

async function perRequestLoad(port: number, routeIndex: number, requests: number): Promise<LoadRecorder> {
  const route = pythonWsgi.routes[routeIndex]!;
  const recorder = new LoadRecorder();
  await runPerRequest({
    host: '127.0.0.1', port, path: route.path, connections: 1, requests, timeoutMs: 10_000,
    check: route.check, sampleEvery: 10, clientCpus: null, recorder,
  });
  return recorder;
}

for (const mode of MODES) {
  describe(`python3 under kvm-${mode}`, { skip }, () => {
    let server: RunningServer;
    before(async () => {
      server = await startEngine(mode, testScenario());
    });
    after(async () => {
      await server?.stop();
    });

    test('answers both routes with bodies that pass the scenario checks', async () => {
      for (const route of pythonWsgi.routes) {
        for (let i = 0; i < 3; i++) {
          const r = await get(server.url + route.path);
          assert.equal(route.check(r.status, r.body), null, `${route.path} #${i}: ${r.status} ${r.body.slice(0, 80)}`);
        }
      }
      assert.equal((await get(server.url + '/nope')).status, 404);
    });

    test(mode === 'persist' ? 'the probe grows (state is kept)' : 'the probe reads the same value on every request', async () => {
      assertProbe(await probeIsolation(server.url, pythonWsgi.probePath, 8), mode === 'persist', 8);
    });

    test('a handler that loops forever is cut at the time limit; the next request succeeds', async (t) => {
      const c0 = await counters(server);
      const t0 = performance.now();
      const cut = await get(server.url + '/loop', limitMs + 15_000);
      const tookMs = performance.now() - t0;
      t.diagnostic(`cut after ${tookMs.toFixed(0)} ms (limit ${limitMs} ms)`);
      assert.equal(cut.status, 503);
      assert.ok(tookMs >= limitMs * 0.9 && tookMs < limitMs + 4000, `cut after ${tookMs.toFixed(0)} ms (limit ${limitMs})`);
      const hello = await get(server.url + '/');
      assert.equal(pythonWsgi.routes[0]!.check(hello.status, hello.body), null);
      const probe = await get(server.url + '/probe');
      assert.equal(probe.status, 200);
      if (mode !== 'persist') assert.equal(probe.body, '1');
      const c = await counters(server);
      assert.equal(c.limitHits.time - c0.limitHits.time, 1);
      assert.ok(c.resets.full > c0.resets.full, `no full reset after the cut: ${JSON.stringify(c.resets)}`);
    });

    test('a handler that allocates past the memory limit is cut; the next request succeeds', async (t) => {
      const c0 = await counters(server);
      const t0 = performance.now();
      const cut = await get(server.url + `/alloc?mb=${LIMIT_MB * 2}`, limitMs + 15_000);
      const t1 = performance.now();
      assert.equal(cut.status, 503);
      const under = await get(server.url + `/alloc?mb=${LIMIT_MB / 4}`, limitMs + 15_000);
      t.diagnostic(`cut after ${(t1 - t0).toFixed(0)} ms, ${LIMIT_MB / 4} MiB in ${(performance.now() - t1).toFixed(0)} ms (limit ${limitMs} ms)`);
      assert.deepEqual([under.status, under.body], [200, `touched ${LIMIT_MB / 4} MiB`]);
      const hello = await get(server.url + '/');
      assert.equal(pythonWsgi.routes[0]!.check(hello.status, hello.body), null);
      if (mode !== 'persist') assert.equal((await get(server.url + '/probe')).body, '1');
      const c = await counters(server);
      assert.equal(c.limitHits.requestMemory - c0.limitHits.requestMemory, 1);
      assert.equal(c.limitHits.time, c0.limitHits.time);
      // the cut resets fully in every mode; hybrid also takes the full path after the 8 MiB request
      const fullResets = c.resets.full - c0.resets.full;
      if (mode === 'hybrid') assert.equal(fullResets, 2, JSON.stringify(c.resets));
      else if (mode !== 'full') assert.equal(fullResets, 1, JSON.stringify(c.resets));
    });

    test(`${ENDURANCE_REQUESTS} requests: no growth of host fds or RSS`, { skip: noClient, timeout: enduranceTimeoutMs(ENDURANCE_REQUESTS, 60_000) }, async (t) => {
      const port = Number(new URL(server.url).port);
      const pid = programPid(server.pid);
      await perRequestLoad(port, 0, 50);
      const fds0 = await idleFdTargets(server, pid);
      const rss0 = rssBytes(pid);
      await server.resetCounters!();
      const half = ENDURANCE_REQUESTS / 2;
      for (const routeIndex of [0, 1]) {
        const rec = await perRequestLoad(port, routeIndex, half);
        assert.equal(rec.errorCount(), 0, `${pythonWsgi.routes[routeIndex]!.path}: ${rec.errorExamples.join('; ')}`);
        assert.equal(rec.responses, half);
        assert.equal(rec.checked, half / 10);
      }
      const fds1 = await idleFdTargets(server, pid);
      const rss1 = rssBytes(pid);
      t.diagnostic(`host fds ${fds0.size} -> ${fds1.size}, RSS ${(rss0 / 1048576).toFixed(1)} -> ${(rss1 / 1048576).toFixed(1)} MiB`);
      assert.ok(fds1.size <= fds0.size, `host fds grew from ${fds0.size} to ${fds1.size}: ${newFds(fds0, fds1).join(', ')}`);
      assert.ok(rss1 - rss0 < RSS_BOUND_BYTES, `RSS grew by ${((rss1 - rss0) / 1048576).toFixed(1)} MiB`);
      const c = await counters(server);
      assert.equal(c.server.failed, 0);
      assert.equal(c.server.served, ENDURANCE_REQUESTS);
      t.diagnostic(`resets ${JSON.stringify(c.resets)}, dirty pages per request ${JSON.stringify(c.dirtyPagesPerRequest)}`);
      // every request was followed by its mode's reset (hybrid: pages or full by working memory)
      const byMode: Partial<Record<ResetMode, [number, number]>> = { persist: [0, 0], pages: [ENDURANCE_REQUESTS, 0], full: [0, ENDURANCE_REQUESTS] };
      const expected = byMode[mode];
      if (expected) assert.deepEqual([c.resets.pages, c.resets.full], expected);
      else assert.equal(c.resets.pages + c.resets.full, ENDURANCE_REQUESTS);
    });
  });
}

test('the scenario as benchmarks launch it has no test routes', { skip }, async () => {
  const server = await startEngine('pages', pythonWsgi);
  try {
    for (const p of ['/loop', '/alloc?mb=1', '/read?path=app.py', '/connect-out?port=9', '/listen-other']) {
      assert.equal((await get(server.url + p)).status, 404, p);
    }
  } finally {
    await server.stop();
  }
});

/** strace's record of the host process's file calls while fn runs (all threads, -f). */
async function traceFileCalls(pid: number, fn: () => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-strace-'));
  const out = path.join(dir, 'trace');
  const child = spawn('strace', ['-f', '-e', 'trace=%file', '-o', out, '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  try {
    // "Process N attached with T threads" once strace holds every thread
    for (let i = 0; i < 200 && !/attached/.test(err); i++) await sleep(25);
    assert.match(err, /attached/, `strace did not attach: ${err}`);
    await fn();
  } finally {
    child.kill('SIGINT');
    await exited;
  }
  const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
  rmSync(dir, { recursive: true, force: true });
  return lines;
}

describe('python3 sandbox (kvm-pages, the scenario folder copied with a secret beside it)', { skip }, () => {
  let server: RunningServer;
  let tmp: string;
  let folder: string;
  let secret: string;

  before(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'isobench-pysandbox-'));
    folder = path.join(tmp, 'python-wsgi');
    cpSync(scenarioDir, folder, { recursive: true });
    secret = path.join(tmp, 'secret.txt');
    writeFileSync(secret, 'host secret\n');
    writeFileSync(path.join(folder, 'inside.txt'), 'inside the folder\n');
    symlinkSync(secret, path.join(folder, 'link-abs'));
    symlinkSync('../secret.txt', path.join(folder, 'link-rel'));
    symlinkSync('..', path.join(folder, 'link-dir'));
    symlinkSync('/etc/shadow', path.join(folder, 'link-shadow'));
    server = await startEngine('pages', testScenario(folder));
  });
  after(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** guest path -> why it must be refused */
  const outside = (): [string, string][] => [
    ['/etc/shadow', 'not on the allow-list'],
    ['../secret.txt', '`..` out of the working directory'],
    [`${folder}/../secret.txt`, '`..` in an absolute path'],
    [secret, 'absolute path beside the folder'],
    ['link-abs', 'symlink to an absolute path outside'],
    ['link-rel', 'symlink to ../secret.txt'],
    ['link-dir/secret.txt', 'symlinked directory pointing to ..'],
    ['link-shadow', 'symlink to /etc/shadow'],
  ];

  async function readInGuest(p: string): Promise<string> {
    const r = await get(server.url + `/read?path=${encodeURIComponent(p)}`);
    assert.equal(r.status, 200, `/read ${p}: status ${r.status}`);
    return r.body;
  }

  test('reads inside the folder work (the route is not refusing everything)', async () => {
    assert.equal(await readInGuest('inside.txt'), "ok b'inside the folde'");
    assert.equal(await readInGuest(path.join(folder, 'app.py')), `ok b'"""isobench pyth'`);
    assert.equal(readlinkSync(path.join(folder, 'link-rel')), '../secret.txt');
  });

  test('/etc/shadow, `..` escapes and symlinks out fail inside the guest', async () => {
    for (const [p, why] of outside()) assert.match(await readInGuest(p), REFUSED, `${p} (${why}) was readable`);
    const hello = await get(server.url + '/');
    assert.equal(pythonWsgi.routes[0]!.check(hello.status, hello.body), null);
  });

  test('nothing outside the allow-list is opened on the host (strace -f of the server)', { skip: !strace && 'strace is not installed' }, async (t) => {
    const answers: string[] = [];
    const pid = programPid(server.pid);
    const lines = await traceFileCalls(pid, async () => {
      for (const [p] of outside()) answers.push(await readInGuest(p));
      answers.push(await readInGuest('inside.txt'));
    });
    for (const a of answers.slice(0, -1)) assert.match(a, REFUSED);
    // the control read was traced: the trace does see the guest's opens
    assert.ok(lines.some((l) => /inside\.txt".*= \d+$/.test(l)), `control open not traced:\n${lines.join('\n')}`);
    const forbidden = lines.filter((l) => /shadow|secret\.txt|link-/.test(l));
    t.diagnostic(`host file calls naming a forbidden path:\n${forbidden.join('\n') || 'none'}`);
    // a symlink is only seen by the kernel's RESOLVE_BENEATH walk, which refuses it: such a call may
    // reach the host, but it must fail, so nothing is opened
    for (const l of forbidden) assert.match(l, /= -1 E[A-Z]+ /, `host file call on a forbidden path succeeded:\n${l}`);
    // paths the policy refuses by name never reach the host at all
    for (const p of ['/etc/shadow', '../secret.txt', secret]) {
      assert.ok(!lines.some((l) => l.includes(p)), `${p} reached the host:\n${lines.join('\n')}`);
    }
    for (const target of fdTargets(pid).values()) assert.doesNotMatch(target, /shadow|secret\.txt/);
  });

  test('listening on another port and connecting out are refused inside the guest', async () => {
    let accepted = 0;
    const host = net.createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => host.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const hostPort = (host.address() as net.AddressInfo).port;
    const other = await findFreePort('127.0.0.1');
    try {
      const c0 = await counters(server);
      assert.match((await get(server.url + `/connect-out?port=${hostPort}`)).body, /^(EACCES|EPERM)$/);
      assert.match((await get(server.url + `/listen-other?port=${other}`)).body, /^(EACCES|EPERM)$/);
      assert.match((await get(server.url + '/listen-other')).body, /^(EACCES|EPERM)$/);
      await sleep(100);
      assert.equal(accepted, 0, 'the guest reached a host listener');
      const reached = await new Promise<boolean>((r) => {
        const s = net.connect({ host: '127.0.0.1', port: other }, () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
      assert.equal(reached, false, `something listens on port ${other}`);
      const c = await counters(server);
      assert.equal(c.net.refused.connect - c0.net.refused.connect, 1);
      assert.equal(c.net.refused.listen - c0.net.refused.listen, 2);
      const hello = await get(server.url + '/');
      assert.equal(pythonWsgi.routes[0]!.check(hello.status, hello.body), null);
    } finally {
      await new Promise((r) => host.close(r));
    }
  });
});
