// Runs that fail say why in one line, exit non-zero, and leave no server process behind.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import type { Scenario } from '../../scenarios/scenario.ts';
import { runBenchmark } from '../../harness/run.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { findFreePort } from '../../harness/process.ts';
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
  for (let i = 0; i < 200 && !stderr.includes('measuring'); i++) await sleep(100);
  assert.ok(stderr.includes('measuring'), `run never started measuring: ${stderr}`);
  assert.ok(processesMatching(`--port ${port}`).length > 0, 'server not found while measuring');
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 130);
  await sleep(200);
  assert.deepEqual(processesMatching(`--port ${port}`), []);
  assert.deepEqual(processesMatching('isobench-client --host 127.0.0.1 --port ' + port), []);
});
