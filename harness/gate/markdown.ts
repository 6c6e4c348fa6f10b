// The gate's table for a CI job summary: baseline, current, change and verdict per metric.
import type { GateComparison, GateMetricComparison, GateVerdict } from './types.ts';
import { formatThresholds } from './thresholds.ts';

const VERDICT_TEXT: Record<GateVerdict, string> = {
  pass: 'pass',
  regression: '**REGRESSION**',
  improvement: 'improvement',
  noise: 'noise',
  missing: 'missing',
  new: 'new',
  failed: '**FAILED**',
};

function value(m: GateMetricComparison, v: number | null): string {
  if (v === null) return '—';
  return m.kind === 'ratio-to-native' ? `${v.toFixed(3)}×` : `${Math.round(v)}/s`;
}

function signedPct(x: number | null): string {
  if (x === null) return '—';
  const p = Math.round(x * 1000) / 10;
  return `${p > 0 ? '+' : ''}${p}%`;
}

function plainPct(x: number | null): string {
  return x === null ? '—' : `${Math.round(x * 1000) / 10}%`;
}

function metricLabel(m: GateMetricComparison): string {
  return m.kind === 'ratio-to-native' ? `${m.metric} ÷ native` : `${m.metric} (absolute)`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function comparisonMarkdown(c: GateComparison): string {
  const lines: string[] = [];
  const head = c.verdict === 'pass' ? 'passed' : 'FAILED: regression';
  lines.push(`### isobench gate: ${head}`);
  lines.push('');
  lines.push(
    `Baseline \`${c.baseline.name}\` (${c.baseline.createdAt}, ${c.baseline.repeats} repeat${c.baseline.repeats === 1 ? '' : 's'}) ` +
      `vs this run (${c.current.repeats} repeat${c.current.repeats === 1 ? '' : 's'}). ` +
      `Latency is compared as a ratio to native in the same run; native's req/s absolutely. ` +
      `Allowed worsening: ${formatThresholds(c.thresholds)}; noise is the widest spread (max − min) / median across repeats.`,
  );
  lines.push('');
  lines.push('| scenario / route | target | metric | baseline | current | change | noise | verdict |');
  lines.push('|---|---|---|---:|---:|---:|---:|---|');
  for (const m of c.rows) {
    const verdict = VERDICT_TEXT[m.verdict] + (m.note ? ` (${m.note})` : '');
    lines.push(
      `| ${cell(`${m.scenario} / ${m.route}`)} | ${cell(m.target)} | ${metricLabel(m)} | ${value(m, m.baseline)} | ${value(m, m.current)} | ${signedPct(m.change)} | ${plainPct(m.noise)} | ${cell(verdict)} |`,
    );
  }
  if (c.rows.length === 0) lines.push('| — | — | — | — | — | — | — | nothing to compare |');
  lines.push('');
  const counts = Object.entries(c.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  lines.push(`Summary: ${counts || 'no metrics'}.`);
  return `${lines.join('\n')}\n`;
}
