// The load clients measure what the server does: a server that sleeps 2 ms per request reads ~2 ms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoadRecorder, runLoad } from '../../harness/load/index.ts';
import { ClientOutputParser } from '../../harness/load/per-request.ts';
import { findFreePort } from '../../harness/process.ts';
import { startTrivialServer } from './helpers.ts';

const base = { host: '127.0.0.1', path: '/x', connections: 1, timeoutMs: 5000, sampleEvery: 10, clientCpus: null };
const bodyIsHello = (status: number, body: string) => (status === 200 && body === 'hello from the trivial server\n' ? null : `bad body ${JSON.stringify(body)}`);

for (const mode of ['per-request', 'keepalive'] as const) {
  // behaviour, not speed: the client times from the request to the response (never less than the
  // server's delay, and without waits of its own, such as the 200 ms sleep it once had); a loaded
  // machine may add milliseconds, so the upper bound is far from both
  test(`${mode} client: 2 ms server delay reads p50 between 2 ms and 50 ms`, async () => {
    const { server, port } = await startTrivialServer(2000);
    try {
      await runLoad(mode, { ...base, port, requests: 50, check: bodyIsHello, recorder: new LoadRecorder() });
      const recorder = new LoadRecorder();
      await runLoad(mode, { ...base, port, requests: 300, check: bodyIsHello, recorder });
      assert.equal(recorder.responses, 300);
      assert.equal(recorder.errorCount(), 0, recorder.errorExamples.join('; '));
      assert.equal(recorder.checked, 30, 'every 10th response body is checked');
      const p50 = recorder.histogram.getValueAtPercentile(50);
      assert.ok(p50 >= 2000 && p50 <= 50_000, `p50 ${p50} µs`);
      assert.ok(recorder.histogram.minNonZeroValue >= 2000, `min ${recorder.histogram.minNonZeroValue} µs is below the server's own delay`);
    } finally {
      await server.stop();
    }
  });
}

test('per-request client: a failing body check counts as a body error', async () => {
  const { server, port } = await startTrivialServer(0);
  try {
    const recorder = new LoadRecorder();
    await runLoad('per-request', { ...base, port, requests: 20, sampleEvery: 1, check: () => 'wrong on purpose', recorder });
    assert.equal(recorder.responses, 20);
    assert.equal(recorder.errors.body, 20);
    assert.deepEqual(recorder.errorExamples, ['body: wrong on purpose']);
  } finally {
    await server.stop();
  }
});

test('per-request client: a closed port gives connect errors, not latencies', async () => {
  const port = await findFreePort('127.0.0.1');
  const recorder = new LoadRecorder();
  await runLoad('per-request', { ...base, port, requests: 5, check: () => null, recorder });
  assert.equal(recorder.responses, 0);
  assert.equal(recorder.errors.connect, 5);
  assert.equal(recorder.histogram.totalCount, 0);
});

test('per-request client: duration mode stops on time', async () => {
  const { server, port } = await startTrivialServer(1000);
  try {
    const recorder = new LoadRecorder();
    const outcome = await runLoad('per-request', { ...base, port, durationSec: 1, check: () => null, recorder });
    assert.ok(outcome.durationSec >= 1 && outcome.durationSec < 1.5, `ran ${outcome.durationSec} s`);
    assert.ok(recorder.responses > 100 && recorder.responses < 1000, `${recorder.responses} responses`);
  } finally {
    await server.stop();
  }
});

// The measured duration ends with the last response, not on the client's 200 ms output tick:
// 20 requests of ~100 µs once read 0.201 s (rps 100× too low), --duration 0.5 read 0.603 s.
test('per-request client: --requests duration is the time the requests took', async () => {
  const { server, port } = await startTrivialServer(0);
  try {
    const recorder = new LoadRecorder();
    const outcome = await runLoad('per-request', { ...base, port, requests: 20, check: () => null, recorder });
    assert.equal(recorder.responses, 20);
    const summedSec = (recorder.histogram.mean * recorder.histogram.totalCount) / 1e6;
    assert.ok(outcome.durationSec >= summedSec * 0.9, `duration ${outcome.durationSec} s is below the summed latencies ${summedSec} s`);
    assert.ok(outcome.durationSec < summedSec + 0.1, `duration ${outcome.durationSec} s for 20 requests summing ${summedSec} s`);
  } finally {
    await server.stop();
  }
});

test('per-request client: --duration 0.5 measures 0.5 s plus at most the last request', async () => {
  const { server, port } = await startTrivialServer(1000);
  try {
    const recorder = new LoadRecorder();
    const outcome = await runLoad('per-request', { ...base, port, durationSec: 0.5, check: () => null, recorder });
    const maxSec = recorder.histogram.maxValue / 1e6;
    assert.ok(outcome.durationSec >= 0.5 && outcome.durationSec < 0.5 + maxSec + 0.05, `ran ${outcome.durationSec} s (slowest request ${maxSec} s)`);
  } finally {
    await server.stop();
  }
});

test('client output parser handles records and bodies split across chunks', () => {
  const latencies: number[] = [];
  const samples: string[] = [];
  const errors: string[] = [];
  const p = new ClientOutputParser((us) => latencies.push(us), (_s, body) => samples.push(body), (k) => errors.push(k));
  const text = Buffer.from('R 120 200\nS 200 11\nhello\nworld\nR 95 200\nE timeout\nD 2 1 5000\n');
  for (let i = 0; i < text.length; i += 3) p.push(text.subarray(i, i + 3));
  assert.deepEqual(latencies, [120, 95]);
  assert.deepEqual(samples, ['hello\nworld']);
  assert.deepEqual(errors, ['timeout']);
  assert.deepEqual(p.done, { responses: 2, errors: 1, elapsedUs: 5000 });
});
