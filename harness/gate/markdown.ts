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
  lines.push(...engineFigureLines(c));
  return `${lines.join('\n')}\n`;
}

function figureValue(v: number | null): string {
  return v === null ? '—' : String(Math.round(v * 1000) / 1000);
}

/** The engine's deterministic figures: only rows that are not a plain pass, and a count of the rest. */
function engineFigureLines(c: GateComparison): string[] {
  const lines: string[] = [''];
  if (c.engineMissing) lines.push(`**FAILED: ${c.engineMissing}.**`, '');
  const f = c.engineFigures;
  if (!f || f.rows.length === 0) return c.engineMissing ? lines : [];
  lines.push(`#### Engine figures (deterministic; from ${f.sources.join(' and ') || 'nowhere'})`, '');
  lines.push('Exits and syscalls per request may grow by at most 0.5 (one more per request fails); dirty pages per request by max(2, 10%); private pages per worker by max(8, 10%).', '');
  const shown = f.rows.filter((r) => r.verdict !== 'pass');
  const passed = f.rows.length - shown.length;
  if (shown.length) {
    lines.push('| scenario / route | target | exit path | figure | baseline | current | allowed | verdict |');
    lines.push('|---|---|---|---|---:|---:|---:|---|');
    for (const r of shown) {
      const verdict = r.verdict === 'regression' ? '**REGRESSION**' : r.verdict;
      lines.push(`| ${cell(`${r.scenario} / ${r.route}`)} | ${cell(r.target)} | ${cell(r.exitPath)} | ${cell(r.figure)} | ${figureValue(r.baseline)} | ${figureValue(r.current)} | ${figureValue(r.allowed)} | ${verdict} |`);
    }
    lines.push('');
  }
  lines.push(`Engine figures: ${passed} pass, ${f.regressions} regression${f.regressions === 1 ? '' : 's'}, ${shown.length - f.regressions} other (missing, new or improved).`);
  return lines;
}
