// The results as plain text, for pipes, CI logs and --no-tui.
import type { ResultsDocument } from '../results/types.ts';
import { groupByScenario } from '../common/model.ts';
import { groupTitle, headerLine, rowCells, unmeasuredLine, ROW_WIDTH } from './table-layout.ts';
import { matrixText } from './matrix-text.ts';

/** `width` cuts long reasons to fit a terminal; without it they are printed whole (logs keep every word) */
export function renderPlainTable(doc: ResultsDocument, width?: number): string {
  const lines: string[] = [];
  for (const group of groupByScenario(doc)) {
    if (lines.length > 0) lines.push('');
    lines.push(groupTitle(group));
    lines.push(headerLine({ descending: false }));
    for (const row of group.rows) {
      lines.push((row.measured ? rowCells(row, 'absolute').join(' ') : unmeasuredLine(row, width === undefined ? Infinity : Math.min(width - 1, ROW_WIDTH))).trimEnd());
    }
    if (!group.baseline) lines.push('(no measured native row: ratios not available)');
  }
  const matrix = matrixText(doc);
  if (matrix) lines.push(...(lines.length ? [''] : []), matrix);
  if (lines.length === 0) lines.push('no runs in this results document');
  return `${lines.join('\n')}\n`;
}
