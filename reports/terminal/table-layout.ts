// Columns of the results table, shared by the interactive view and the plain-text table.
// Widths add up to 74 characters so a row fits an 80-column terminal.
import { formatRate, formatRatio, formatUs, padEnd, padStart, truncate } from '../common/format.ts';
import { isolationText, statusText, type ScenarioGroup, type TargetRow } from '../common/model.ts';

export type ColumnKey = 'target' | 'p50' | 'p90' | 'p99' | 'p999' | 'rps' | 'errors' | 'isolation' | 'ratio';
export type ValueMode = 'absolute' | 'ratio';

export interface Column {
  key: ColumnKey;
  label: string;
  width: number;
  align: 'left' | 'right';
  /** key that sorts by this column in the interactive view */
  sortKey: string;
}

export const COLUMNS: Column[] = [
  { key: 'target', label: 'target', width: 11, align: 'left', sortKey: '0' },
  { key: 'p50', label: 'p50', width: 7, align: 'right', sortKey: '1' },
  { key: 'p90', label: 'p90', width: 7, align: 'right', sortKey: '2' },
  { key: 'p99', label: 'p99', width: 7, align: 'right', sortKey: '3' },
  { key: 'p999', label: 'p99.9', width: 7, align: 'right', sortKey: '4' },
  { key: 'rps', label: 'req/s', width: 7, align: 'right', sortKey: '5' },
  { key: 'errors', label: 'err', width: 5, align: 'right', sortKey: '6' },
  { key: 'isolation', label: 'isolation', width: 9, align: 'left', sortKey: '7' },
  { key: 'ratio', label: 'p50÷nat', width: 7, align: 'right', sortKey: '8' },
];

export const ROW_WIDTH = COLUMNS.reduce((s, c) => s + c.width, 0) + COLUMNS.length - 1;

export function fit(text: string, col: Column): string {
  return col.align === 'left' ? padEnd(text, col.width) : padStart(text, col.width);
}

/** the text of one cell; latency and req/s columns show ratios to native in ratio mode */
export function cellText(row: TargetRow, key: ColumnKey, mode: ValueMode): string {
  switch (key) {
    case 'target':
      return row.target;
    case 'p50':
    case 'p90':
    case 'p99':
    case 'p999':
      return mode === 'ratio' ? formatRatio(row.ratio[key]) : formatUs(row.latency?.[key]);
    case 'rps':
      return mode === 'ratio' ? formatRatio(row.ratio.rps) : formatRate(row.rps);
    case 'errors':
      return String(row.errorsTotal);
    case 'isolation':
      return isolationText(row.run);
    case 'ratio':
      return formatRatio(row.ratio.p50);
  }
}

/** a number to sort by; unmeasured rows always sort last */
export function sortValue(row: TargetRow, key: ColumnKey): number | string {
  switch (key) {
    case 'target':
      return row.target;
    case 'p50':
    case 'p90':
    case 'p99':
    case 'p999':
      return row.latency?.[key] ?? NaN;
    case 'rps':
      return row.rps ?? NaN;
    case 'errors':
      return row.errorsTotal;
    case 'isolation':
      return isolationText(row.run);
    case 'ratio':
      return row.ratio.p50 ?? NaN;
  }
}

export interface SortSpec {
  /** undefined: the order the run listed them */
  key?: ColumnKey;
  descending: boolean;
}

export function sortRows(rows: TargetRow[], sort: SortSpec): TargetRow[] {
  const indexed = rows.map((row, i) => ({ row, i }));
  const key = sort.key;
  if (!key) return rows.slice();
  indexed.sort((a, b) => {
    if (a.row.measured !== b.row.measured) return a.row.measured ? -1 : 1;
    if (!a.row.measured) return a.i - b.i;
    const va = sortValue(a.row, key);
    const vb = sortValue(b.row, key);
    let c: number;
    if (typeof va === 'number' && typeof vb === 'number') {
      const na = Number.isNaN(va);
      const nb = Number.isNaN(vb);
      c = na || nb ? (na ? 1 : 0) - (nb ? 1 : 0) : va - vb;
      if (!(na || nb) && sort.descending) c = -c;
    } else {
      c = String(va).localeCompare(String(vb));
      if (sort.descending) c = -c;
    }
    return c !== 0 ? c : a.i - b.i;
  });
  return indexed.map((x) => x.row);
}

export function headerLine(sort: SortSpec): string {
  return COLUMNS.map((c) => {
    const mark = sort.key === c.key ? (sort.descending ? '▼' : '▲') : '';
    return fit(c.align === 'right' ? `${mark}${c.label}` : `${c.label}${mark}`, c);
  }).join(' ');
}

/** a measured row as padded cells, or the target and its status reason */
export function rowCells(row: TargetRow, mode: ValueMode): string[] {
  return COLUMNS.map((c) => fit(cellText(row, c.key, mode), c));
}

export function unmeasuredLine(row: TargetRow, width: number): string {
  const first = COLUMNS[0];
  return `${fit(row.target, first)} ${truncate(statusText(row.run), Math.max(0, width - first.width - 1))}`;
}

export function groupTitle(group: ScenarioGroup): string {
  return `${group.scenario} ${group.route}`;
}
