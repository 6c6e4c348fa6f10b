// Decodes a run's HDR histogram (Node side only) into points for percentile views.
import * as hdr from 'hdr-histogram-js';
import type { RunRow } from '../results/types.ts';
import { percentileAt } from '../results/histogram.ts';

export interface SpectrumPoint {
  /** percentile, 0..100 */
  percentile: number;
  valueUs: number;
}

export interface DecodedHistogram {
  totalCount: number;
  maxUs: number;
  at(percentile: number): number;
}

/** undefined when the row has no histogram or it does not decode */
export function decodeRunHistogram(run: RunRow): DecodedHistogram | undefined {
  if (typeof run.histogram !== 'string' || run.histogram.length === 0) return undefined;
  try {
    const h = hdr.decodeFromCompressedBase64(run.histogram);
    // the stored histogram keeps buckets, so its max is a bucket's top; the row's max is exact
    const recordedMax = run.latencyUs?.max;
    const maxUs = typeof recordedMax === 'number' && Number.isFinite(recordedMax) && recordedMax > 0 ? Math.min(recordedMax, h.maxValue) : h.maxValue;
    const decoded = {
      totalCount: h.totalCount,
      maxUs,
      at: (p: number) => percentileAt(h, p, maxUs),
    };
    if (decoded.totalCount <= 0) return undefined;
    return decoded;
  } catch {
    return undefined;
  }
}

/**
 * The percentile spectrum as HdrHistogram plots it: x runs along 1/(1-p) on a log scale,
 * so 90%, 99%, 99.9% … are evenly spaced. Points are spread evenly in log(1/(1-p)) up to
 * the last percentile the sample size supports (1 - 1/count). The maximum, at x = ∞, is left
 * to the tables.
 */
export function percentileSpectrum(h: DecodedHistogram, pointsPerDecade = 12): SpectrumPoint[] {
  const maxX = Math.max(1, Math.min(h.totalCount, 1e7));
  const points: SpectrumPoint[] = [];
  // x = 10^(i/pointsPerDecade) lands exactly on 90%, 99%, 99.9% … every pointsPerDecade steps
  for (let i = 0; 10 ** (i / pointsPerDecade) < maxX; i++) {
    const x = 10 ** (i / pointsPerDecade);
    points.push({ percentile: 100 * (1 - 1 / x), valueUs: h.at(100 * (1 - 1 / x)) });
  }
  points.push({ percentile: 100 * (1 - 1 / maxX), valueUs: h.at(100 * (1 - 1 / maxX)) });
  return points;
}

/** the percentiles the bar views show, from the histogram when present, else from the summary */
export function barPercentiles(run: RunRow): { label: string; valueUs: number }[] {
  const h = decodeRunHistogram(run);
  if (h) {
    return [
      ['p50', 50],
      ['p75', 75],
      ['p90', 90],
      ['p99', 99],
      ['p99.9', 99.9],
      ['p99.99', 99.99],
    ]
      .map(([label, p]) => ({ label: label as string, valueUs: h.at(p as number) }))
      .concat([{ label: 'max', valueUs: h.maxUs }]);
  }
  const l = run.latencyUs;
  if (!l) return [];
  return (
    [
      ['p50', l.p50],
      ['p90', l.p90],
      ['p99', l.p99],
      ['p99.9', l.p999],
      ['max', l.max],
    ] as [string, number][]
  )
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([label, valueUs]) => ({ label, valueUs }));
}
