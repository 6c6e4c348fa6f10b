// A compact markdown summary of a results document: one table per scenario, for CI job
// summaries and PR comments. Optional sections (comparison, claims, sweep, micro) follow when present.
import type { ResultsDocument } from '../results/types.ts';
import { readClaims, readComparison, readMicro, readSweeps } from '../results/sections.ts';
import { groupByScenario, isolationText, statusText, PERCENTILE_KEYS, PERCENTILE_LABELS } from '../common/model.ts';
import { formatBytes, formatChange, formatPercent, formatRate, formatRatio, formatUs } from '../common/format.ts';
import { matrixMarkdown } from './matrix.ts';

/** escape what would break a table cell */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.map(cell).join(' | ')} |`).join('\n');
}

function numberOrDash(v: number | null | undefined, unit?: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = String(Number(v.toFixed(Math.abs(v) < 10 ? 3 : 1)));
  return unit ? `${s} ${unit}` : s;
}

export function renderMarkdown(doc: ResultsDocument): string {
  const out: string[] = [];
  const m = doc.machine ?? ({} as ResultsDocument['machine']);
  const kvm = m.kvm ? (m.kvm.present ? `KVM ${m.kvm.module ?? ''}${m.kvm.nested ? ' (nested)' : ''}`.trim() : 'no KVM') : '';
  out.push('## isobench results');
  out.push('');
  out.push(
    [doc.createdAt, m.cpuModel, m.cores ? `${m.cores} cores` : '', m.kernel ?? '', kvm]
      .filter((s) => typeof s === 'string' && s.length > 0)
      .join(' · '),
  );
  for (const group of groupByScenario(doc)) {
    out.push('');
    out.push(`### ${group.scenario} \`${group.route}\``);
    out.push('');
    const header = ['target', ...PERCENTILE_KEYS.map((k) => PERCENTILE_LABELS[k]), 'req/s', 'errors', 'isolation', 'p50 × native', 'p99 × native'];
    const rows = group.rows.map((row) => {
      if (!row.measured) return [row.target, statusText(row.run), '', '', '', '', '', '', '', ''];
      return [
        row.target,
        ...PERCENTILE_KEYS.map((k) => formatUs(row.latency?.[k])),
        formatRate(row.rps),
        String(row.errorsTotal),
        isolationText(row.run),
        formatRatio(row.ratio.p50),
        formatRatio(row.ratio.p99),
      ];
    });
    out.push(table(header, rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r']));
  }

  const matrix = matrixMarkdown(doc);
  if (matrix) out.push(matrix);

  const comparison = readComparison(doc.comparison);
  if (comparison) {
    out.push('', `### Comparison with baseline${comparison.baselineFile ? ` \`${comparison.baselineFile}\`` : ''}${comparison.verdict ? `: **${comparison.verdict}**` : ''}`, '');
    out.push(
      table(
        ['scenario', 'target', 'metric', 'baseline', 'current', 'change', 'verdict'],
        comparison.rows.map((r) => [
          [r.scenario, r.route].filter(Boolean).join(' '),
          r.target ?? '',
          r.metric,
          numberOrDash(r.baseline, r.unit),
          numberOrDash(r.current, r.unit),
          formatChange(r.change),
          r.verdict,
        ]),
        ['l', 'l', 'l', 'r', 'r', 'r', 'l'],
      ),
    );
  }

  const claims = readClaims(doc.claims);
  if (claims.length > 0) {
    out.push('', '### Claims', '');
    out.push(table(['claim', 'verdict', 'numbers'], claims.map((c) => [c.statement, c.verdict, [c.evidence, c.machineFact].filter(Boolean).join('; ')])));
  }

  for (const sweep of readSweeps(doc.sweep)) {
    out.push('', `### Threshold sweep${sweep.scenario ? `: ${sweep.scenario}${sweep.route ? ` \`${sweep.route}\`` : ''}` : ''}`, '');
    out.push(
      table(
        ['threshold', 'p50', 'p99', 'full resets', 'reset', 'worker RSS'],
        sweep.points.map((p) => [
          `${formatBytes(p.thresholdBytes)}${p.thresholdBytes === sweep.recommendedThresholdBytes ? ' ✔' : ''}`,
          formatUs(p.p50Us),
          formatUs(p.p99Us),
          formatPercent(p.fullResetFraction),
          formatUs(p.resetUs),
          formatBytes(p.workerRssBytes),
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    if (sweep.recommendedThresholdBytes !== undefined) {
      out.push('', `Recommended: ${formatBytes(sweep.recommendedThresholdBytes)}${sweep.recommendation ? ` (${sweep.recommendation})` : ''}${sweep.flags ? ` — \`${sweep.flags}\`` : ''}`);
    } else if (sweep.recommendation) {
      out.push('', `No threshold recommended: ${sweep.recommendation}`);
    }
  }

  const micro = readMicro(doc.micro);
  if (micro.length > 0) {
    out.push('', '### Micro-benchmarks', '');
    out.push(
      table(
        ['group', 'name', 'mean', 'p50', 'p99', 'samples'],
        micro.map((r) => [
          r.group,
          r.params ? `${r.name} (${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ')})` : r.name,
          formatUs(r.meanUs),
          formatUs(r.p50Us),
          formatUs(r.p99Us),
          r.samples === undefined ? '—' : String(r.samples),
        ]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
