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
