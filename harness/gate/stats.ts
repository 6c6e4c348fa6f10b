// Small order statistics for the gate: medians decide, ranges estimate noise.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** (max - min) / median: how far apart the repeats landed, relative to their middle. null for fewer than 2. */
export function relativeSpread(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mid = median(values);
  if (mid === 0) return null;
  return (Math.max(...values) - Math.min(...values)) / Math.abs(mid);
}
