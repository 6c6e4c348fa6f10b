// python-wsgi as WebAssembly: the same app.py served by pyodide (CPython compiled to wasm) with a
// fresh interpreter per request, cold and from a memory snapshot. Each row must name the engine
// and the instance kind, pass the route's checks, read the probe as isolated, and carry the
// per-request instance-creation cost in its engine counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { runBenchmark } from '../../harness/run.ts';
import { wasmSnapshotTarget, wasmTarget } from '../../harness/targets/wasm.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { pyodidePackage } from '../../harness/targets/wasm/pyodide.ts';
import type { LatencySummaryUs } from '../../reports/results/types.ts';

const pkg = pyodidePackage();

test('the pyodide package carries everything it needs offline', () => {
  assert.ok('dir' in pkg, 'reason' in pkg ? pkg.reason : '');
});

test('deno-react-ssr has no snapshot mode: wasm-snapshot is skipped with the reason', async () => {
  const a = await wasmSnapshotTarget.availability(denoReactSsr);
  assert.equal(a.ok, false);
  assert.match(!a.ok ? a.reason : '', /componentize-js builds have one instance mode/);
});

test('a setting that only reaches the server command line (delayMs) fails the pyodide row instead of being lost', async () => {
  await assert.rejects(
    wasmSnapshotTarget.start({ scenario: pythonWsgi, settings: { host: '127.0.0.1', port: 1, delayMs: 5 }, serverCpus: null, log: () => {} }),
    /python-wsgi: its settings change the server's command line, which a pyodide instance does not run/,
  );
});

test('python-wsgi on wasm (cold) and wasm-snapshot: checks pass, probe isolated, instance-creation counters', { timeout: 900_000 }, async () => {
  const doc = await runBenchmark({
    scenarioList: [pythonWsgi],
    targetList: [nativeTarget, wasmTarget, wasmSnapshotTarget],
    requests: 3,
    warmup: 1,
    probeRequests: 3,
    sampleEvery: 1,
    pin: false,
    out: null,
  });
  const byKey = new Map(doc.runs.map((r) => [`${r.route}@${r.target}`, r]));
  for (const target of ['wasm', 'wasm-snapshot']) {
    for (const route of ['hello', 'page']) {
      const row = byKey.get(`${route}@${target}`)!;
      assert.equal(row.status, 'ok', `${route}@${target}: ${row.reason}`);
      const how = target === 'wasm' ? 'cold instance per request' : 'instance from a memory snapshot per request';
      assert.match(row.engine!, new RegExp(`^wasm \\(pyodide ${'version' in pkg ? pkg.version.replace(/\./g, '\\.') : ''}, V8 \\S+, ${how}\\)$`));
      assert.equal(row.requests, 3);
      assert.deepEqual(row.errors, {}, JSON.stringify(row.errorExamples));
      assert.equal(row.checkedResponses, 3, 'every response went through the route check');
      assert.equal(row.isolation?.verdict, 'isolated', `probe samples ${row.isolation?.samples}`);
      assert.deepEqual(row.isolation?.samples, [1, 1, 1]);
      const c = row.engineCounters!;
      assert.equal(c.mode, 'fresh-instance');
      assert.equal(c.instance, target === 'wasm' ? 'cold' : 'snapshot');
      assert.equal(c.requests, 3, 'one new instance per measured request');
      assert.equal(c.failed, 0);
      const creation = c.instantiateUs as LatencySummaryUs;
      assert.ok(creation.p50 > 0 && (c.coreInstantiateUs as LatencySummaryUs).p50 > 0 && (c.handleUs as LatencySummaryUs).p50 > 0);
      if (target === 'wasm-snapshot') assert.ok((c.snapshotBytes as number) > 1 << 20);
    }
  }
  for (const row of doc.runs.filter((r) => r.target !== 'native')) {
    const c = row.engineCounters!;
    console.log(`${row.route}@${row.target}: instance creation p50 ${(c.instantiateUs as LatencySummaryUs).p50} µs, of which WebAssembly.instantiate ${(c.coreInstantiateUs as LatencySummaryUs).p50} µs; WSGI call p50 ${(c.handleUs as LatencySummaryUs).p50} µs`);
  }
  // the same probe natively: shared, so the wasm verdict is the instance's doing
  assert.equal(byKey.get('hello@native')!.isolation?.verdict, 'shared');
});
