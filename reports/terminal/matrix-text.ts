// The isolation matrix as plain text: `isobench isolation` output, and after `run` without a TTY.
import type { ResultsDocument } from '../results/types.ts';
import { cellAt, cellLabel, matrixByScenario, notableCells } from '../common/matrix.ts';

export function matrixText(doc: ResultsDocument): string {
  const out: string[] = [];
  for (const m of matrixByScenario(doc)) {
    const shown = m.targets.filter((t) => !m.skippedTargets.has(t));
    const header = ['probe', ...shown];
    const rows = m.probes.map((p) => [p.name, ...shown.map((t) => cellLabel(cellAt(m, p.name, t)).text)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
    out.push(`isolation: ${m.scenario}`);
    if (shown.length) out.push(line(header), ...rows.map(line));
    for (const [target, reason] of m.skippedTargets) out.push(`  ${target}: ${reason}`);
    const { byDesign, failed } = notableCells(m);
    const na = [...new Map(m.probes.map((p) => [p.name, shown.map((t) => cellAt(m, p.name, t)).find((c) => c?.verdict === 'not applicable')])).values()];
    for (const c of na) if (c) out.push(`  n/a ${c.probe}: ${c.reason}`);
    for (const c of byDesign) out.push(`  shared by design: ${c.probe} on ${c.target}: ${c.expected?.reason}`);
    for (const c of failed) if (c.verdict) out.push(`  FAILED ${c.probe} on ${c.target}: ${c.reason}`);
    out.push('');
  }
  return out.join('\n').trimEnd();
}
