// Latency histograms in µs: how they are built, summarised, and stored in the results document.
import * as hdr from 'hdr-histogram-js';
import type { LatencySummaryUs } from './types.ts';

export type LatencyHistogram = hdr.Histogram;

/** 1 µs to 60 s at 3 significant digits: 0.1% precision at any latency we can meet. */
export function newLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

export function summarizeLatency(h: LatencyHistogram): LatencySummaryUs {
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
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
