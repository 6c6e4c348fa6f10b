// The probes against real servers: natively every carry/concurrent/capability probe must read
// shared (one process serves every request) and the OS randomness fresh; on wasm (a fresh
// instance per request) deno-react-ssr's probes read isolated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBenchmark } from '../../harness/run.ts';
import { nativeTarget } from '../../harness/targets/native.ts';
import { wasmTarget } from '../../harness/targets/wasm.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import { denoReactSsr } from '../../scenarios/deno-react-ssr/index.ts';
import { validateResults } from '../../reports/results/schema.ts';
import type { MatrixCell } from '../../reports/results/types.ts';

const verdicts = (cells: MatrixCell[], scenario: string) =>
  Object.fromEntries(cells.filter((c) => c.scenario === scenario).map((c) => [c.probe, c.verdict]));

const matrixOnly = { latency: false, isolation: true, out: null, pin: false, readyTimeoutSec: 180 } as const;

test('natively: state probes read shared, OS and PRNG randomness fresh, boot randomness fixed', async () => {
  await denoReactSsr.build();
  const doc = await runBenchmark({ ...matrixOnly, scenarioList: [pythonWsgi, denoReactSsr], targetList: [nativeTarget] });
  assert.deepEqual(validateResults(doc), []);
  assert.deepEqual(verdicts(doc.isolationMatrix, 'python-wsgi'), {
    memory: 'shared', 'native-memory': 'shared', 'fd-pipe': 'shared', 'fd-socketpair': 'shared', 'fd-eventfd': 'shared',
    'fd-epoll': 'shared', file: 'shared', 'process-state': 'shared', clocks: 'shared',
    'random-os': 'isolated', 'random-prng': 'isolated', 'random-boot': 'shared', concurrent: 'shared',
  });
  assert.deepEqual(verdicts(doc.isolationMatrix, 'deno-react-ssr'), {
    memory: 'shared', 'native-memory': 'shared', 'fd-pipe': 'not applicable', 'fd-socketpair': 'not applicable', 'fd-eventfd': 'not applicable',
    'fd-epoll': 'not applicable', file: 'not applicable', 'process-state': 'not applicable', clocks: 'not applicable',
    'random-os': 'isolated', 'random-prng': 'isolated', 'random-boot': 'not applicable', concurrent: 'shared',
  });
  for (const c of doc.isolationMatrix) {
    // native promises nothing: no cell fails, and every verdict is the table's expectation
    assert.notEqual(c.status, 'failed', `${c.scenario} ${c.probe}: ${c.reason}`);
    if (c.verdict !== 'not applicable') assert.equal(c.verdict, c.expected?.verdict, `${c.scenario} ${c.probe}`);
    if (c.verdict === 'shared' || c.verdict === 'isolated') assert.ok(c.evidence && c.evidence.length >= 2, 'evidence recorded');
  }
  // the evidence holds the tokens: request 1 of the pipe probe found request 0's token
  const pipe = doc.isolationMatrix.find((c) => c.scenario === 'python-wsgi' && c.probe === 'fd-pipe')!;
  assert.equal(pipe.evidence![1]!.seen, pipe.evidence![0]!.token);
});

test('wasm: every deno-react-ssr probe that applies reads isolated', async () => {
  const doc = await runBenchmark({ ...matrixOnly, scenarioList: [denoReactSsr], targetList: [wasmTarget] });
  const cells = doc.isolationMatrix;
  assert.ok(cells.length > 0 && cells.every((c) => c.verdict !== undefined), cells.find((c) => !c.verdict)?.reason);
  assert.deepEqual(
    cells.filter((c) => c.verdict !== 'not applicable').map((c) => [c.probe, c.verdict, c.status]),
    ['memory', 'native-memory', 'random-os', 'random-prng', 'concurrent'].map((p) => [p, 'isolated', 'ok']),
  );
});
