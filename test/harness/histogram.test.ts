// Histograms survive the trip through the results document.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHistogram, encodeHistogram, newLatencyHistogram, summarizeLatency } from '../../reports/results/histogram.ts';

test('encode/decode round-trips counts, percentiles and max', () => {
  const h = newLatencyHistogram();
  for (let i = 0; i < 10_000; i++) h.recordValue(100 + ((i * 7919) % 5000));
  h.recordValue(2_500_000);
  const decoded = decodeHistogram(encodeHistogram(h));
  assert.equal(decoded.totalCount, h.totalCount);
  const { max: decodedMax, ...decodedRest } = summarizeLatency(decoded);
  const { max, ...rest } = summarizeLatency(h);
  assert.deepEqual(decodedRest, rest);
  // the encoding keeps buckets, so the max comes back as its bucket's top: within 0.1%
  assert.ok(decodedMax >= max && decodedMax <= max * 1.001, `max ${max} came back as ${decodedMax}`);
});

test('summary percentiles are in µs within 0.1%', () => {
  const h = newLatencyHistogram();
  for (let us = 1; us <= 1000; us++) h.recordValue(us * 10);
  const s = summarizeLatency(h);
  assert.ok(Math.abs(s.p50 - 5000) <= 5, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p99 - 9900) <= 10, `p99 ${s.p99}`);
  assert.ok(Math.abs(s.max - 10_000) <= 10, `max ${s.max}`);
  assert.ok(Math.abs(s.mean - 5005) <= 6, `mean ${s.mean}`);
});

test('an empty histogram encodes and decodes to an empty one', () => {
  const decoded = decodeHistogram(encodeHistogram(newLatencyHistogram()));
  assert.equal(decoded.totalCount, 0);
});

// HDR reports a percentile as the top of its bucket, which can pass the recorded max
// (a wasm row once read p99 163071 µs with max 162992 µs). Every view clamps to the max.
test('percentiles never read above the recorded max, in the summary, the decoded row and old documents', async () => {
  const { decodeRunHistogram, barPercentiles } = await import('../../reports/common/percentiles.ts');
  const { parseResults } = await import('../../reports/common/load.ts');
  const h = newLatencyHistogram();
  for (let i = 0; i < 1000; i++) h.recordValue(162_992);
  assert.ok(h.getValueAtPercentile(99) > h.maxValue, 'the raw histogram value passes the max (the case being fixed)');
  const s = summarizeLatency(h);
  assert.equal(s.max, 162_992);
  for (const p of [s.p50, s.p90, s.p99, s.p999]) assert.ok(p <= s.max, `percentile ${p} above max ${s.max}`);

  const row = { scenario: 's', route: 'r', target: 't', status: 'ok' as const, latencyUs: s, histogram: encodeHistogram(h) };
  const decoded = decodeRunHistogram(row)!;
  assert.equal(decoded.maxUs, 162_992);
  assert.equal(decoded.at(99.99), 162_992);
  for (const b of barPercentiles(row)) assert.ok(b.valueUs <= 162_992, `${b.label} ${b.valueUs}`);

  const old = { ...s, p99: 163_071, p999: 163_071 };
  const doc = parseResults(JSON.stringify({ schemaVersion: 1, runs: [{ ...row, latencyUs: old }] }), 'old.json');
  assert.equal(doc.runs[0]!.latencyUs!.p99, 162_992);
});
