// The wasm target: component built offline and cached, served with a fresh instance per request
// on V8 via jco, byte-identical to native, and the isolation probe never grows.
import { test } from 'node:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { chooseEngine, serverArgv, wasmTarget } from '../../harness/targets/wasm.ts';
import { buildComponent } from '../../harness/targets/wasm/component.ts';
import type { WasmSource } from '../../harness/targets/wasm/sources.ts';
import { loadScenarioFile } from '../../scenarios/file/load.ts';
import { findFreePort } from '../../harness/process.ts';
import { probeIsolation } from '../../harness/isolation.ts';
import { get } from '../support/http.ts';

const COMPONENT_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

test('wasm: the component builds (componentize-js, no AOT) and a second build is fully cached', { timeout: 180_000 }, async () => {
  const source = (denoReactSsr.wasm as WasmSource);
  const first = await buildComponent(source);
  const bytes = readFileSync(first.componentPath);
  assert.deepEqual(bytes.subarray(0, 8), COMPONENT_MAGIC, 'a component-model binary');
  const again = await buildComponent(source);
  assert.deepEqual(again.rebuilt, [], 'nothing rebuilt when inputs are unchanged');
});

test('wasm: engine falls back to V8 via jco and says so; a wasmtime binary is preferred when present', () => {
  const v8 = chooseEngine({}, { PATH: '/nonexistent' });
  assert.equal(v8.kind, 'v8-jco');
  assert.match(v8.label, /^wasm \(V8 [\d.]+.* via jco 1\.35\.0\)$/);
  assert.doesNotMatch(v8.label, /wasmtime/);

  const dir = mkdtempSync(join(tmpdir(), 'isobench-wasmtime-'));
  try {
    const fake = join(dir, 'wasmtime');
    writeFileSync(fake, '#!/bin/sh\necho "wasmtime 30.0.2 (abc 2025-01-01)"\n');
    chmodSync(fake, 0o755);
    const wt = chooseEngine({}, { PATH: dir });
    assert.deepEqual(wt, { kind: 'wasmtime', binary: fake, label: 'wasm (wasmtime 30.0.2)' });
    assert.equal(chooseEngine({ wasmtimePath: fake }, { PATH: '/nonexistent' }).kind, 'wasmtime');
    assert.deepEqual(serverArgv(wt, { componentPath: '/c.wasm', transpiledDir: '/t' }, '127.0.0.1', 9000), [
      fake, 'serve', '--addr', '127.0.0.1:9000', '-S', 'cli=y', '/c.wasm',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('wasm: unavailable, with the reason, for a scenario whose file has no wasm build', async () => {
  const a = await wasmTarget.availability(await loadScenarioFile(join(import.meta.dirname, '../../examples/node-http/isobench.scenario.json')));
  assert.deepEqual(a, { ok: false, notApplicable: true, reason: 'no wasm build for scenario node-http (its scenario file has no "wasm" section)' });
  // python-wsgi has one now: pyodide (test/wasm/pyodide.test.ts)
  assert.equal((await wasmTarget.availability(pythonWsgi)).ok, true);
});

test('wasm: same HTML as native, fresh instance per request (probe never grows)', { timeout: 180_000 }, async () => {
  await denoReactSsr.build();
  const savedWasmtime = process.env.WASMTIME;
  const savedPath = process.env.PATH;
  const nativeServer = await nativeTarget.start({
    scenario: denoReactSsr,
    settings: { host: '127.0.0.1', port: await findFreePort('127.0.0.1') },
    serverCpus: null,
    log: () => {},
  });
  let wasmServer;
  try {
    // force the V8 engine even on a machine with wasmtime: this test is about our server
    delete process.env.WASMTIME;
    process.env.PATH = '/usr/bin:/bin';
    wasmServer = await wasmTarget.start({
      scenario: denoReactSsr,
      settings: { host: '127.0.0.1', port: await findFreePort('127.0.0.1') },
      serverCpus: null,
      log: () => {},
    });
    const nativePage = await get(nativeServer.url + '/');
    const wasmPage = await get(wasmServer.url + '/');
    assert.equal(wasmPage.status, 200);
    assert.equal(denoReactSsr.routes[0]!.check(wasmPage.status, wasmPage.body), null);
    assert.ok(wasmPage.body === nativePage.body, 'wasm HTML is byte-identical to native');
    assert.equal(wasmPage.headers['content-type'], nativePage.headers['content-type']);
    const hello = await get(wasmServer.url + '/hello');
    assert.equal(denoReactSsr.routes[1]!.check(hello.status, hello.body), null);

    const probe = await probeIsolation(wasmServer.url, denoReactSsr.probePath, 6);
    assert.equal(probe.verdict, 'isolated');
    assert.deepEqual(probe.samples, [1, 1, 1, 1, 1, 1]);

    // one fresh instance per request, each instantiation timed by the server
    await wasmServer.resetCounters!();
    for (let i = 0; i < 3; i++) assert.equal((await get(wasmServer.url + '/hello')).status, 200);
    const counters = await wasmServer.counters!();
    assert.ok(counters, 'the V8 server reports counters');
    assert.equal(counters.mode, 'fresh-instance');
    assert.equal(counters.requests, 3);
    const instantiateUs = counters.instantiateUs as { p50: number; mean: number; max: number };
    const coreUs = counters.coreInstantiateUs as { p50: number };
    assert.ok(instantiateUs.p50 > 0 && instantiateUs.max >= instantiateUs.p50);
    assert.ok(coreUs.p50 > 0 && coreUs.p50 <= instantiateUs.max, 'core instantiation is part of the whole');
  } finally {
    if (savedWasmtime !== undefined) process.env.WASMTIME = savedWasmtime;
    process.env.PATH = savedPath;
    await wasmServer?.stop();
    await nativeServer.stop();
  }
});

/** starts the V8 server directly; resolves once it listens */
async function spawnV8Server(): Promise<{ child: ChildProcess; url: string }> {
  const build = await buildComponent((denoReactSsr.wasm as WasmSource));
  const port = await findFreePort('127.0.0.1');
  const argv = serverArgv({ kind: 'v8-jco', label: 'wasm (V8 via jco)' }, build, '127.0.0.1', port);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wasm server exited (${code}) before listening: ${output}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * sends a request and drops the connection after `afterBytes` bytes of response (0: right after
 * sending); `reset` drops it with a TCP RST instead of a FIN
 */
function abandonRequest(url: string, path: string, afterBytes: number, reset = false): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
      if (afterBytes === 0) {
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
        resolve(0);
      }
    });
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received >= afterBytes) {
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
  });
}

test('wasm: clients that abandon requests mid-way do not wedge the V8 server; SIGTERM stops it within a second', { timeout: 180_000 }, async () => {
  const { child, url } = await spawnV8Server();
  try {
    await abandonRequest(url, '/', 0);
    assert.equal((await get(url + '/hello')).status, 200, 'served after a client gave up right after sending');
    const partial = await abandonRequest(url, '/', 1);
    assert.ok(partial >= 1);
    await abandonRequest(url, '/', 0);
    await abandonRequest(url, '/hello', 0);
    await abandonRequest(url, '/', 0, true);
    await abandonRequest(url, '/', 1, true);
    const page = await get(url + '/');
    assert.equal(page.status, 200, 'served after clients gave up mid-response');
    assert.equal(denoReactSsr.routes[0]!.check(page.status, page.body), null);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const sent = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 1000))]);
    assert.notEqual(code, 'timeout', 'exits within a second of SIGTERM');
    assert.equal(code, 0);
    assert.ok(performance.now() - sent < 1000);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
