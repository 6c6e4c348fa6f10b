// isobench-server end to end with the static C HTTP guest (native/guests/http_server.c):
// answers in every reset mode and wait style, isolation probe, network policy, time and memory
// limits, counters on SIGUSR1/SIGUSR2, and no fd/RSS growth over 1,000 requests per mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../harness/process.ts';
import { get } from '../support/http.ts';
import { fdCount, rssBytes } from '../support/proc.ts';
import { engineSkip } from '../support/engine-skip.ts';
import { enduranceRequests, enduranceTimeoutMs } from '../support/endurance.ts';

const at = (port: number, p: string) => `http://127.0.0.1:${port}${p}`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SERVER = path.join(root, 'native/build/isobench-server');
const GUEST = path.join(root, 'native/build/guests/http_server');
const skip = engineSkip(
  !existsSync('/dev/kvm')
  ? 'needs /dev/kvm'
  : !existsSync(SERVER) || !existsSync(GUEST)
    ? 'engine server or http_server guest not built (make -C native)'
    : false);

const MODES = ['persist', 'pages', 'full', 'hybrid'] as const;
type Mode = (typeof MODES)[number];

interface Running {
  child: ChildProcess;
  port: number;
  stats: string;
  dir: string;
  output(): string;
  stop(): Promise<number | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function start(mode: Mode, extra: string[] = [], guestArgs: string[] = []): Promise<Running> {
  const port = await findFreePort('127.0.0.1');
  const dir = mkdtempSync(path.join(tmpdir(), 'isobench-srv-test-'));
  const stats = path.join(dir, 'stats.json');
  const args = ['--reset', mode, '--listen', `127.0.0.1:${port}`, '--stats-file', stats, '--memory-mb', '128', ...extra, '--',
    GUEST, '--port', String(port), ...guestArgs];
  const child = spawn(SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  for (let i = 0; i < 200 && !out.includes('serving http://'); i++) {
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  assert.ok(out.includes('serving http://'), `server did not start: ${out}`);
  return {
    child, port, stats, dir,
    output: () => out,
    async stop() {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
      if (code === 'timeout') child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return code === 'timeout' ? null : code;
    },
  };
}

async function counters(r: Running): Promise<Record<string, any>> {
  const before = existsSync(r.stats) ? readFileSync(r.stats, 'utf8') : '';
  r.child.kill('SIGUSR1');
  for (let i = 0; i < 100; i++) {
    await sleep(20);
    if (existsSync(r.stats) && readFileSync(r.stats, 'utf8') !== before) break;
  }
  return JSON.parse(readFileSync(r.stats, 'utf8'));
}

test('bad flags give a clear error and exit code 2', { skip: !existsSync(SERVER) && 'engine server not built' }, () => {
  const cases: [string[], RegExp][] = [
    [['--reset', 'sometimes', '--listen', '127.0.0.1:1', '--', '/bin/true'], /unknown mode 'sometimes'/],
    [['--listen', 'localhost:80', '--', '/bin/true'], /numeric/],
    [['--listen', '127.0.0.1:99999', '--', '/bin/true'], /bad port/],
    [['--reset', 'pages', '--', '/bin/true'], /--listen HOST:PORT is required/],
    [['--listen', '127.0.0.1:1'], /no program given/],
    [['--workers', 'x', '--listen', '127.0.0.1:1', '--', '/bin/true'], /--workers/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(SERVER, args, { encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}`);
    assert.match(r.stderr, re);
  }
});

for (const mode of MODES) {
  test(`static guest answers and the probe behaves under ${mode}`, { skip }, async () => {
    const r = await start(mode);
    try {
      const hello = await get(at(r.port, '/'));
      assert.equal(hello.status, 200);
      assert.equal(hello.body, 'Hello, World!\n');
      const probes: number[] = [];
      for (let i = 0; i < 5; i++) probes.push(Number((await get(at(r.port, '/probe'))).body));
      if (mode === 'persist') assert.deepEqual(probes, [1, 2, 3, 4, 5]);
      else assert.deepEqual(probes, [1, 1, 1, 1, 1]);
      const big = await get(at(r.port, '/big'));
      assert.equal(big.body.length, 256 << 10);
      const c = await counters(r);
      assert.equal(c.mode, mode);
      assert.ok(c.requests >= 7, `requests ${c.requests}`);
      assert.ok(c.server.exitsPerServedRequest.mean > 0);
      if (mode === 'persist') assert.equal(c.resets.pages + c.resets.full, 0);
      else assert.ok(c.resets.pages + c.resets.full >= 7, JSON.stringify(c.resets));
    } finally {
      assert.equal(await r.stop(), 0, r.output());
    }
  });
}

for (const wait of ['select', 'epoll', 'accept']) {
  test(`the guest may wait with ${wait}`, { skip }, async () => {
    const r = await start('pages', [], ['--wait', wait]);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await get(at(r.port, '/probe'))).body, '1');
      assert.equal((await get(at(r.port, '/'))).body, 'Hello, World!\n');
    } finally {
      await r.stop();
    }
  });
}

test('listening elsewhere, connecting out and AF_UNIX are refused inside the guest', { skip }, async () => {
  const r = await start('pages', ['--verbose']);
  try {
    // EACCES = 13, seen by the guest; the server stays up
    assert.equal((await get(at(r.port, '/bind-other'))).body, 'errno=13');
    assert.equal((await get(at(r.port, '/connect-out'))).body, 'errno=13');
    assert.equal((await get(at(r.port, '/unix'))).body, 'errno=13');
    const c = await counters(r);
    assert.deepEqual(c.net.refused, { listen: 1, connect: 1, family: 1 });
    assert.match(r.output(), /refused \(first time\): bind/);
  } finally {
    await r.stop();
  }
});

test('a handler that loops is cut at the time limit; the next request succeeds', { skip }, async () => {
  const r = await start('pages', ['--max-request-ms', '300']);
  try {
    const t0 = Date.now();
    const cut = await get(at(r.port, '/loop'));
    assert.equal(cut.status, 503);
    assert.ok(Date.now() - t0 < 3000);
    assert.equal((await get(at(r.port, '/probe'))).body, '1');
    const c = await counters(r);
    assert.equal(c.limitHits.time, 1);
    assert.ok(c.resets.full >= 1);
  } finally {
    await r.stop();
  }
});

test('a handler that allocates past the memory limit is cut; the next request succeeds', { skip }, async () => {
  // a generous time limit: the memory limit is under test (under QEMU's emulation touching 4 MiB
  // can take longer than the default 1 s)
  const r = await start('hybrid', ['--max-request-mb', '16', '--max-request-ms', '20000']);
  try {
    const cut = await get(at(r.port, '/alloc?mb=64'));
    assert.equal(cut.status, 503);
    const small = await get(at(r.port, '/alloc?mb=4'));
    assert.equal(small.body, 'touched 4 MiB', `limit hits so far: ${JSON.stringify((await counters(r)).limitHits)}`);
    assert.equal((await get(at(r.port, '/probe'))).body, '1');
    const c = await counters(r);
    assert.equal(c.limitHits.requestMemory, 1);
  } finally {
    await r.stop();
  }
});

test('a guest fault answers 502 and the worker keeps serving', { skip }, async () => {
  const r = await start('pages');
  try {
    assert.equal((await get(at(r.port, '/crash'))).status, 502);
    assert.equal((await get(at(r.port, '/probe'))).body, '1');
    const c = await counters(r);
    assert.equal(c.faults, 1);
  } finally {
    await r.stop();
  }
});

test('SIGUSR2 clears the counters', { skip }, async () => {
  const r = await start('pages');
  try {
    for (let i = 0; i < 3; i++) await get(at(r.port, '/'));
    assert.ok((await counters(r)).requests >= 3);
    r.child.kill('SIGUSR2');
    await sleep(100);
    await get(at(r.port, '/'));
    assert.equal((await counters(r)).requests, 1);
  } finally {
    await r.stop();
  }
});


const ENDURANCE_REQUESTS = enduranceRequests(1000);
for (const mode of MODES) {
  test(`${ENDURANCE_REQUESTS} requests under ${mode}: no growth of host fds or RSS`, { skip, timeout: enduranceTimeoutMs(ENDURANCE_REQUESTS, 120_000) }, async () => {
    const r = await start(mode, ['--workers', '2']);
    try {
      for (let i = 0; i < 50; i++) await get(at(r.port, '/'));
      await sleep(200); // the last connection is closed after the client saw its EOF
      const fds0 = fdCount(r.child.pid!);
      const rss0 = rssBytes(r.child.pid!);
      for (let i = 0; i < ENDURANCE_REQUESTS; i++) {
        const res = await get(at(r.port, i % 2 ? '/' : '/probe'));
        assert.equal(res.status, 200);
      }
      await sleep(200);
      const fds1 = fdCount(r.child.pid!);
      const rss1 = rssBytes(r.child.pid!);
      assert.ok(fds1 <= fds0, `host fds grew from ${fds0} to ${fds1}`);
      assert.ok(rss1 - rss0 < 16 << 20, `RSS grew by ${((rss1 - rss0) / 1048576).toFixed(1)} MiB`);
      const c = await counters(r);
      assert.equal(c.server.failed, 0);
    } finally {
      await r.stop();
    }
  });
}
