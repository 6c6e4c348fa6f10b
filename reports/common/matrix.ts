// The isolation matrix as every view shows it: per scenario, probes × targets, each cell with a
// short label and its evidence. Reads only the document's `isolationMatrix` (schemaVersion 2).
import type { MatrixCell, ResultsDocument } from '../results/types.ts';

export interface MatrixProbe {
  name: string;
  description?: string;
  kind?: string;
}

export interface ScenarioMatrix {
  scenario: string;
  /** in the order the run met them (the target registry's order) */
  targets: string[];
  probes: MatrixProbe[];
  cells: Map<string, MatrixCell>;
  /** targets whose every cell has no verdict (not available, server failed): target → "skipped: …" / "failed: …" */
  skippedTargets: Map<string, string>;
}

const key = (probe: string, target: string) => `${probe}\u0000${target}`;

export function cellAt(m: ScenarioMatrix, probe: string, target: string): MatrixCell | undefined {
  return m.cells.get(key(probe, target));
}

export function matrixByScenario(doc: ResultsDocument): ScenarioMatrix[] {
  const out = new Map<string, ScenarioMatrix>();
  for (const cell of Array.isArray(doc.isolationMatrix) ? doc.isolationMatrix : []) {
    let m = out.get(cell.scenario);
    if (!m) {
      m = { scenario: cell.scenario, targets: [], probes: [], cells: new Map(), skippedTargets: new Map() };
      out.set(cell.scenario, m);
    }
    if (!m.targets.includes(cell.target)) m.targets.push(cell.target);
    if (!m.probes.some((p) => p.name === cell.probe)) m.probes.push({ name: cell.probe, description: cell.description, kind: cell.kind });
    m.cells.set(key(cell.probe, cell.target), cell);
  }
  for (const m of out.values()) {
    for (const target of m.targets) {
      const cells = m.probes.map((p) => cellAt(m, p.name, target)).filter((c): c is MatrixCell => c !== undefined);
      if (cells.length && cells.every((c) => !c.verdict)) m.skippedTargets.set(target, `${cells[0]!.status}: ${cells[0]!.reason ?? 'no reason given'}`);
    }
  }
  return [...out.values()];
}

export type CellTone = 'isolated' | 'shared' | 'by-design' | 'failed' | 'na' | 'skipped' | 'unexpected';

/** the cell's word and how to colour it */
export function cellLabel(cell: MatrixCell | undefined): { text: string; tone: CellTone } {
  if (!cell) return { text: '—', tone: 'skipped' };
  if (cell.status === 'failed') return { text: cell.verdict === 'shared' ? 'SHARED ✗' : 'error ✗', tone: 'failed' };
  switch (cell.verdict) {
    case 'shared':
      return cell.expected?.byDesign ? { text: 'shared (by design)', tone: 'by-design' } : { text: 'shared', tone: 'shared' };
    case 'isolated':
      return cell.expected?.verdict === 'shared' ? { text: 'isolated (!)', tone: 'unexpected' } : { text: 'isolated', tone: 'isolated' };
    case 'not applicable':
      return { text: 'n/a', tone: 'na' };
    case 'failed':
      return { text: 'error', tone: 'failed' };
    default:
      return { text: 'skipped', tone: 'skipped' };
  }
}

/** The evidence behind a cell, one line each: verdict and reason, expectation, then every request. */
export function cellEvidence(cell: MatrixCell): string[] {
  const lines = [`${cell.probe} on ${cell.target}: ${cell.verdict ?? cell.status}${cell.reason ? ` — ${cell.reason}` : ''}`];
  if (cell.expected) lines.push(`expected ${cell.expected.verdict}${cell.expected.byDesign ? ' by design' : ''}: ${cell.expected.reason}`);
  for (const o of cell.evidence ?? []) {
    const parts = [
      o.token ? `left ${o.token}` : '',
      o.seen !== undefined ? `saw ${o.seen}` : o.value === undefined && !o.error ? 'saw nothing' : '',
      o.value !== undefined ? `value ${o.value}` : '',
      o.note ? `note ${o.note}` : '',
      o.error ? `error ${o.error}` : '',
    ].filter(Boolean);
    lines.push(`#${o.request}${o.role ? ` ${o.role}` : ''}: ${parts.join('; ')}`);
  }
  if (cell.migratedFrom) lines.push(`from an older document: ${cell.migratedFrom}`);
  return lines;
}

/** cells that are shared by design or failed, for the notes under a matrix */
export function notableCells(m: ScenarioMatrix): { byDesign: MatrixCell[]; failed: MatrixCell[] } {
  const all = [...m.cells.values()];
  return {
    byDesign: all.filter((c) => c.status === 'ok' && c.verdict === 'shared' && c.expected?.byDesign),
    failed: all.filter((c) => c.status === 'failed'),
  };
}
