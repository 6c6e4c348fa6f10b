// Runs that fail say why in one line, exit non-zero, and leave no server process behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Scenario } from '../../scenarios/scenario.ts';
import { runBenchmark } from '../../harness/run.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { findFreePort } from '../../harness/process.ts';
import { findLeftovers, processStartTime } from '../../harness/leftovers.ts';
import { processesMatching, root, runCli } from './helpers.ts';

const python = '/usr/bin/python3';
const scratch = mkdtempSync(path.join(os.tmpdir(), 'isobench-failures-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scenario whose server is a python one-liner; the marker in its argv finds its processes. */
function fakeScenario(code: string, marker: string): Scenario {
  return {
    name: 'fake',
    description: 'test server',
    routes: [{ name: 'root', path: '/', check: () => null }],
    probePath: '/',
    keepAlive: false,
    availability: async () => ({ ok: true, version: 'test' }),
    build: async () => {},
    launch: (s) => ({ argv: [python, '-c', code, marker, String(s.port)], env: {}, cwd: root, readPaths: [] }),
    describeSettings: () => ({}),
  };
}

async function runFake(code: string, extra: Record<string, unknown> = {}) {
  const marker = `isobench-test-${randomUUID()}`;
  const doc = await runBenchmark({
    scenarioList: [fakeScenario(code, marker)], targetList: [nativeTarget], out: null, pin: false,
    warmup: 5, durationSec: 5, readyTimeoutSec: 2, ...extra,
  });
  return { doc, row: doc.runs[0]!, leftovers: processesMatching(marker) };
}

test('a server that dies at start: failed row with its last stderr line, nothing left', async () => {
  const { row, leftovers } = await runFake('import sys; sys.stderr.write("boom: cannot start\\n"); sys.exit(3)');
  assert.equal(row.status, 'failed');
  assert.equal(row.reason, 'fake/native: server exited with code 3 before it was ready: boom: cannot start');
  assert.deepEqual(leftovers, []);
});

test('a server that never answers: failed after the ready timeout, its whole group killed', async () => {
  // the server forks a child into its process group; both must go
  const { row, leftovers } = await runFake('import os, time\nif os.fork() == 0:\n    time.sleep(300)\nelse:\n    time.sleep(300)', { readyTimeoutSec: 1 });
  assert.equal(row.status, 'failed');
  assert.match(row.reason!, /^fake\/native: server not ready after 1 s at http:\/\/127\.0\.0\.1:\d+\/$/);
  assert.deepEqual(leftovers, []);
});

test('a server that dies mid-run: failed row saying so, nothing left', async () => {
  const code = [
    'import socket, sys',
    's = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    's.bind(("127.0.0.1", int(sys.argv[2]))); s.listen(128)',
    'for n in range(60):',
    '    c, _ = s.accept(); c.recv(65536)',
    '    c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\nok\\n"); c.close()',
    'sys.stderr.write("served 60, dying on purpose\\n"); sys.exit(7)',
  ].join('\n');
  const started = performance.now();
  const { row, leftovers } = await runFake(code, { durationSec: 20 });
  assert.equal(row.status, 'failed');
  assert.equal(row.reason, 'fake/native: server exited with code 7 during the run: served 60, dying on purpose');
  assert.ok(performance.now() - started < 10_000, 'the run did not stop when the server died');
  assert.deepEqual(leftovers, []);
});

test('a port in use: exit 1 with one line, no server started', async () => {
  const port = await findFreePort('127.0.0.1');
  const blocker = net.createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    const r = await runCli(['run', '--scenario', 'python-wsgi', '--target', 'native', '--port', String(port), '--duration', '1', '--no-pin', '--out', path.join(scratch, 'port-in-use.json')]);
    assert.equal(r.code, 1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('isobench: ') && l.includes('@ native'));
    assert.ok(errors.length >= 1);
    for (const e of errors) assert.match(e, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    assert.deepEqual(processesMatching(`--port ${port}`), []);
  } finally {
    blocker.close();
  }
});

test('SIGINT during a run stops the server group and exits 130', async () => {
  const port = await findFreePort('127.0.0.1');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'harness/cli.ts'), 'run', '--scenario', 'python-wsgi', '--target', 'native', '--port', String(port), '--duration', '30', '--no-pin', '--out', path.join(scratch, 'sigint.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  for (let i = 0; i < 600 && !stderr.includes('measuring'); i++) await sleep(100); // a loaded machine may take 30 s to start
  assert.ok(stderr.includes('measuring'), `run never started measuring: ${stderr}`);
  assert.ok(processesMatching(`--port ${port}`).length > 0, 'server not found while measuring');
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 130);
  await sleep(200);
  assert.deepEqual(processesMatching(`--port ${port}`), []);
  assert.deepEqual(processesMatching('isobench-client --host 127.0.0.1 --port ' + port), []);
});

/** pid -> start time of every descendant of pid (from /proc), so a reused pid is not mistaken for one */
function descendants(pid: number): Map<number, string> {
  const children = new Map<number, number[]>();
  const starts = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      starts.set(Number(entry), fields[19]!);
    } catch {
      // gone
    }
  }
  const out = new Map<number, string>();
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.set(c, starts.get(c)!);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const stillRunning = (procs: Map<number, string>) => [...procs].filter(([pid, start]) => processStartTime(pid) === start).map(([pid]) => pid);
const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
};

test('kill -9 of isobench mid-run takes the server and the load client with it; a leftover is reported and can be killed', async () => {
  const stateDir = mkdtempSync(path.join(scratch, 'state-'));
  const env = { ...process.env, ISOBENCH_STATE_DIR: stateDir };
  const port = await findFreePort('127.0.0.1');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'harness/cli.ts'), 'run', '--scenario', 'python-wsgi', '--target', 'native', '--route', 'hello', '--port', String(port), '--duration', '60', '--no-pin', '--out', path.join(scratch, 'kill9.json')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let procs = new Map<number, string>();
  for (let i = 0; i < 300; i++) {
    procs = descendants(child.pid!);
    if (stderr.includes('measuring') && [...procs.keys()].some((p) => commandOf(p).includes('isobench-client'))) break;
    await sleep(100);
  }
  const commands = [...procs.keys()].map(commandOf);
  assert.ok(commands.some((c) => c.includes('isobench-client')), `no load client while measuring: ${commands.join(' | ')}\n${stderr}`);
  assert.ok(commands.some((c) => c.includes('app.py')), `no server while measuring: ${commands.join(' | ')}`);
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  let left = stillRunning(procs);
  for (let i = 0; i < 50 && left.length; i++) {
    await sleep(100);
    left = stillRunning(procs);
  }
  assert.deepEqual(left.map(commandOf), [], 'processes outlived a kill -9 of isobench');

  // a leftover the supervisor could not cover (here: a group started by hand and recorded as a
  // run's server, owned by the killed isobench) is reported by the next run, and --kill-leftovers stops it
  const orphan = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  orphan.unref();
  writeFileSync(path.join(stateDir, `${child.pid}-server-${orphan.pid}.json`), JSON.stringify({ pgid: orphan.pid, command: 'sleep 300', owner: child.pid, ownerStart: 'gone', leaderStart: processStartTime(orphan.pid!), startedAt: new Date().toISOString() }));
  const listed = await runCli(['run', '--scenario', 'python-wsgi', '--target', 'native', '--route', 'hello', '--requests', '5', '--warmup', '1', '--no-pin', '--out', path.join(scratch, 'after.json')], 120_000, env);
  assert.match(listed.stderr, new RegExp(`^isobench: leftover of an earlier run still running: process group ${orphan.pid} \\(pids ${orphan.pid}: sleep 300\\).*isobench run --kill-leftovers`, 'm'));
  assert.equal(processStartTime(orphan.pid!) !== null, true, 'reporting must not kill');
  const killed = await runCli(['run', '--kill-leftovers', '--scenario', 'python-wsgi', '--target', 'native', '--route', 'hello', '--requests', '5', '--warmup', '1', '--no-pin', '--out', path.join(scratch, 'after.json')], 120_000, env);
  assert.match(killed.stderr, new RegExp(`^isobench: stopped a leftover of an earlier run: process group ${orphan.pid}`, 'm'));
  for (let i = 0; i < 20 && processStartTime(orphan.pid!) !== null; i++) await sleep(50);
  assert.equal(processStartTime(orphan.pid!), null);
  assert.deepEqual(readdirSync(stateDir), [], 'records of finished runs are removed');
});

test('a temporary folder of a target (isobench-wasm-*) is removed on SIGINT, and after kill -9 by the next leftover check', async () => {
  const tmp = mkdtempSync(path.join(scratch, 'tmp-'));
  const stateDir = mkdtempSync(path.join(scratch, 'state-'));
  const env = { ...process.env, TMPDIR: tmp, ISOBENCH_STATE_DIR: stateDir };
  const script = "import { makeTempDir } from './harness/process.ts'; process.stdout.write(makeTempDir('isobench-wasm-') + '\\n'); setInterval(() => {}, 1000);";
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    for (let i = 0; i < 200 && !out.includes('\n'); i++) await sleep(50);
    const dir = out.trim();
    assert.ok(dir.startsWith(path.join(tmp, 'isobench-wasm-')) && existsSync(dir), `no temp dir: ${out}`);
    child.kill(signal);
    await new Promise((r) => child.on('close', r));
    if (signal === 'SIGINT') {
      assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('isobench-')), [], 'SIGINT left the folder');
    } else {
      assert.ok(existsSync(dir), 'nothing can remove it during a SIGKILL');
      process.env.ISOBENCH_STATE_DIR = stateDir;
      try {
        assert.deepEqual(findLeftovers(), [], 'a folder is not a running leftover');
      } finally {
        delete process.env.ISOBENCH_STATE_DIR;
      }
      assert.deepEqual(readdirSync(tmp).filter((n) => n.startsWith('isobench-')), [], 'the next run\'s leftover check did not remove it');
    }
  }
});
