// deno-react-ssr natively: the bundle builds (and is cached), the page passes check(), the probe grows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from '../support/http.ts';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { findFreePort } from '../../harness/process.ts';
import { probeIsolation } from '../../harness/isolation.ts';


test('deno-react-ssr: runtime present, launch runs the real deno binary with single-threaded GC', async () => {
  const availability = await denoReactSsr.availability();
  assert.equal(availability.ok, true, availability.ok ? '' : availability.reason);
  const spec = denoReactSsr.launch({ host: '127.0.0.1', port: 8123 });
  assert.match(spec.argv[0]!, /node_modules\/deno\/deno$/);
  assert.ok(spec.argv.includes('--v8-flags=--single-threaded-gc'));
  assert.equal(spec.env.DENO_NO_UPDATE_CHECK, '1');
  assert.deepEqual(denoReactSsr.describeSettings({ host: '127.0.0.1', port: 1 }).singleThreadedGc, true);
  const off = denoReactSsr.launch({ host: '127.0.0.1', port: 8123, singleThreadedGc: false });
  assert.ok(!off.argv.some((a) => a.startsWith('--v8-flags')));
});

test('deno-react-ssr: check() rejects wrong pages', () => {
  const page = denoReactSsr.routes[0]!;
  assert.match(page.check(500, '') ?? '', /status 500/);
  assert.match(page.check(200, '<!DOCTYPE html><html lang="en"><body></body></html>') ?? '', /rows/);
});

test('deno-react-ssr: served natively, page passes check(), hello answers, probe grows', async () => {
  await denoReactSsr.build();
  const settings = { host: '127.0.0.1', port: await findFreePort('127.0.0.1') };
  const server = await nativeTarget.start({ scenario: denoReactSsr, settings, serverCpus: null, log: () => {} });
  try {
    const page = await get(server.url + '/');
    assert.equal(denoReactSsr.routes[0]!.check(page.status, page.body), null);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    const bytes = Buffer.byteLength(page.body);
    assert.ok(bytes >= 20_000 && bytes <= 40_000, `${bytes} bytes`);
    // deterministic: the same bytes on every request
    assert.equal((await get(server.url + '/')).body, page.body);
    const hello = await get(server.url + '/hello');
    assert.equal(denoReactSsr.routes[1]!.check(hello.status, hello.body), null);
    const probe = await probeIsolation(server.url, denoReactSsr.probePath, 4);
    assert.equal(probe.verdict, 'shared');
    assert.deepEqual(probe.samples, probe.samples.map((_, i) => probe.samples[0]! + i));
  } finally {
    await server.stop();
  }
});

test('deno-react-ssr: build() is cached when inputs are unchanged', async () => {
  await denoReactSsr.build();
  const started = performance.now();
  await denoReactSsr.build();
  assert.ok(performance.now() - started < 1000, 'a cached build does not re-run esbuild');
});
