// Latency histograms in µs: how they are built, summarised, and stored in the results document.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummaryUs } from './types.ts';

export type LatencyHistogram = hdr.Histogram;

/** 1 µs to 60 s at 3 significant digits: 0.1% precision at any latency we can meet. */
export function newLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/**
 * A percentile as every view reports it: the histogram's value (the top of the bucket holding it,
 * within 0.1%) clamped to the recorded max, so no percentile reads above the slowest request.
 */
export function percentileAt(h: Pick<LatencyHistogram, 'getValueAtPercentile' | 'maxValue'>, percentile: number, maxUs: number = h.maxValue): number {
  return Math.min(h.getValueAtPercentile(percentile), maxUs);
}

/** a stored summary with its percentiles clamped to its max (documents written before the clamp) */
export function clampSummary(l: LatencySummaryUs): LatencySummaryUs {
  if (typeof l.max !== 'number' || !Number.isFinite(l.max)) return l;
  const clamp = (v: number) => (typeof v === 'number' && v > l.max ? l.max : v);
  return { ...l, p50: clamp(l.p50), p90: clamp(l.p90), p99: clamp(l.p99), p999: clamp(l.p999) };
}

export function summarizeLatency(h: LatencyHistogram): LatencySummaryUs {
  return {
    p50: percentileAt(h, 50),
    p90: percentileAt(h, 90),
    p99: percentileAt(h, 99),
    p999: percentileAt(h, 99.9),
    max: h.maxValue,
    mean: Math.round(h.mean * 10) / 10,
  };
}

export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(encoded: string): LatencyHistogram {
  return hdr.decodeFromCompressedBase64(encoded);
}
