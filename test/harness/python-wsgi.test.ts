// The python-wsgi scenario served natively: every route answers correctly and the probe counter grows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { findFreePort } from '../../harness/process.ts';
import { get } from '../support/http.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import type { RunningServer } from '../../harness/targets/target.ts';


let server: RunningServer;

before(async () => {
  const availability = await pythonWsgi.availability();
  assert.ok(availability.ok, `python unavailable: ${!availability.ok && availability.reason}`);
  const port = await findFreePort('127.0.0.1');
  server = await nativeTarget.start({ scenario: pythonWsgi, settings: { host: '127.0.0.1', port }, serverCpus: null, log: () => {} });
});

after(async () => {
  await server?.stop();
});

test('hello route answers Hello, World! and passes its check', async () => {
  const r = await get(server.url + '/');
  assert.equal(r.status, 200);
  assert.equal(r.body, 'Hello, World!\n');
  assert.equal(pythonWsgi.routes[0]!.check(r.status, r.body), null);
});

test('page route is a 5-10 KB listing with escaped data that passes its check', async () => {
  const r = await get(server.url + '/page');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /text\/html/);
  const bytes = Buffer.byteLength(r.body);
  assert.ok(bytes >= 5000 && bytes <= 10_240, `page is ${bytes} bytes`);
  assert.equal(pythonWsgi.routes[1]!.check(r.status, r.body), null);
  assert.ok(r.body.includes('Toys &lt;Kids&gt;'));
  assert.ok(!r.body.includes('<Kids>'));
});

test('route checks reject wrong answers', () => {
  const [hello, page] = pythonWsgi.routes;
  assert.match(hello!.check(500, 'Hello, World!\n')!, /status 500/);
  assert.notEqual(hello!.check(200, 'Hello\n'), null);
  assert.match(page!.check(200, '<!DOCTYPE html><html><table></table></html>')!, /product rows/);
  assert.notEqual(page!.check(200, ''), null);
});

test('unknown paths are 404', async () => {
  assert.equal((await get(server.url + '/nope')).status, 404);
});

test('the probe counter grows natively, so the verdict is shared', async () => {
  const first = Number((await get(server.url + '/probe')).body);
  const result = await probeIsolation(server.url, pythonWsgi.probePath, 5);
  assert.equal(result.verdict, 'shared');
  assert.deepEqual(result.samples, [first + 1, first + 2, first + 3, first + 4, first + 5]);
});

test('the delayMs setting slows every request by that much', async () => {
  const port = await findFreePort('127.0.0.1');
  const slow = await nativeTarget.start({ scenario: pythonWsgi, settings: { host: '127.0.0.1', port, delayMs: 50 }, serverCpus: null, log: () => {} });
  try {
    const started = performance.now();
    const r = await get(slow.url + '/');
    assert.equal(r.status, 200);
    assert.ok(performance.now() - started >= 50, 'request returned before the injected delay');
  } finally {
    await slow.stop();
  }
  assert.throws(() => pythonWsgi.launch({ host: '127.0.0.1', port, delayMs: 'soon' }), /delayMs must be a number/);
});

test('ISOBENCH_PYTHON pointing nowhere makes the scenario unavailable with a reason', async () => {
  const saved = process.env.ISOBENCH_PYTHON;
  process.env.ISOBENCH_PYTHON = '/nonexistent/python3';
  try {
    const a = await pythonWsgi.availability();
    assert.equal(a.ok, false);
    assert.match(!a.ok ? a.reason : '', /python not found at \/nonexistent\/python3/);
  } finally {
    if (saved === undefined) delete process.env.ISOBENCH_PYTHON;
    else process.env.ISOBENCH_PYTHON = saved;
  }
});
