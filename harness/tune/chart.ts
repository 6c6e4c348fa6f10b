// The sweep as a small text chart for the terminal: one line per point, a bar for p99.
import { formatSize } from './sizes.ts';
import type { ThresholdSweep, WorkerSweep } from './types.ts';

const BAR_WIDTH = 28;

function bar(value: number | undefined, max: number): string {
  if (value === undefined || !(max > 0)) return '';
  const cells = Math.max(1, Math.round((value / max) * BAR_WIDTH));
  return '█'.repeat(cells);
}

function num(v: number | undefined, digits = 0): string {
  return v === undefined ? '—' : v.toFixed(digits);
}

function mib(bytes: number | undefined): string {
  return bytes === undefined ? '—' : `${(bytes / 1024 / 1024).toFixed(1)}M`;
}

function pct(f: number | undefined): string {
  return f === undefined ? '—' : `${Math.round(f * 100)}%`;
}

export function thresholdChart(s: ThresholdSweep): string {
  const max = Math.max(0, ...s.points.map((p) => p.p99Us ?? 0));
  const lines = [
    `reset threshold sweep: ${s.scenario} / ${s.route} on ${s.target} (bar: p99, lower is better)`,
    `${'threshold'.padStart(9)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'full'.padStart(5)} ${'reset µs'.padStart(8)} ${'worker RSS'.padStart(10)}`,
  ];
  for (const p of s.points) {
    const mark = p.thresholdBytes === s.recommendedThresholdBytes ? ' ◀' : '';
    if (p.status !== 'ok') {
      lines.push(`${formatSize(p.thresholdBytes).padStart(9)}  ${p.status}: ${p.reason ?? ''}`);
      continue;
    }
    lines.push(
      `${formatSize(p.thresholdBytes).padStart(9)} ${num(p.p50Us).padStart(8)} ${num(p.p99Us).padStart(8)} ${pct(p.fullResetFraction).padStart(5)} ${num(p.resetUs, 1).padStart(8)} ${mib(p.workerRssBytes).padStart(10)}  ${bar(p.p99Us, max)}${mark}`,
    );
  }
  lines.push(`recommended: ${s.recommendation}`);
  if (s.flags) lines.push(`server flags: ${s.flags}`);
  return lines.join('\n');
}

export function workerChart(s: WorkerSweep): string {
  const max = Math.max(0, ...s.points.map((p) => p.rps ?? 0));
  const lines = [
    `worker sweep: ${s.scenario} / ${s.route} on ${s.target} at threshold ${formatSize(s.thresholdBytes)} (bar: req/s, higher is better)`,
    `${'workers'.padStart(7)} ${'conns'.padStart(5)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)} ${'req/s'.padStart(8)} ${'worker RSS'.padStart(10)}`,
  ];
  for (const p of s.points) {
    const mark = p.workers === s.recommendedWorkers ? ' ◀' : '';
    if (p.status !== 'ok') {
      lines.push(`${String(p.workers).padStart(7)}  ${p.status}: ${p.reason ?? ''}`);
      continue;
    }
    lines.push(
      `${String(p.workers).padStart(7)} ${String(p.connections).padStart(5)} ${num(p.p50Us).padStart(8)} ${num(p.p99Us).padStart(8)} ${num(p.rps).padStart(8)} ${mib(p.workerRssBytes).padStart(10)}  ${bar(p.rps, max)}${mark}`,
    );
  }
  lines.push(`recommended: ${s.recommendation}`);
  if (s.flags) lines.push(`server flags: ${s.flags}`);
  return lines.join('\n');
}
