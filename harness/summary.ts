// The plain-text summary table printed at the end of a run when no view is attached.
import type { ResultsDocument, RunRow } from '../reports/results/types.ts';

export function formatUs(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${Math.round(us)} µs`;
}

function formatBytes(n: number | undefined): string {
  return n === undefined ? '-' : `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

function isolationCell(row: RunRow): string {
  const iso = row.isolation;
  if (!iso) return '-';
  return iso.expected && iso.expected !== iso.verdict && iso.verdict !== 'failed' ? `${iso.verdict} (!)` : iso.verdict;
}

function cells(row: RunRow): string[] {
  const id = [row.scenario, row.route, row.target];
  if (row.status !== 'ok') return [...id, row.client ?? '-', `${row.status}: ${row.reason ?? ''}`];
  const l = row.latencyUs!;
  const errors = Object.values(row.errors ?? {}).reduce((a, b) => a + b, 0);
  return [
    ...id, row.client ?? '-', 'ok',
    formatUs(l.p50), formatUs(l.p90), formatUs(l.p99), formatUs(l.max),
    String(Math.round(row.rps ?? 0)), String(errors), isolationCell(row), formatBytes(row.rssPeakBytes),
  ];
}

const HEADER = ['scenario', 'route', 'target', 'client', 'status', 'p50', 'p90', 'p99', 'max', 'req/s', 'errors', 'isolation', 'peak RSS'];

export function summaryTable(doc: ResultsDocument): string {
  const rows = doc.runs.map(cells);
  const full = (r: string[]) => r.length === HEADER.length;
  // identity columns fit every row; measurement columns fit the ok rows (others end in one free-text cell)
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.filter((r) => i < 4 || full(r)).map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (!full(r) && i === r.length - 1 ? c : i >= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(HEADER), ...rows.map(line)].join('\n');
}
