// The isolation matrix in markdown: one table per scenario, then what is n/a, shared by design or failed, and why.
import type { ResultsDocument } from '../results/types.ts';
import { cellAt, cellLabel, matrixByScenario, notableCells } from '../common/matrix.ts';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function matrixMarkdown(doc: ResultsDocument): string {
  const out: string[] = [];
  for (const m of matrixByScenario(doc)) {
    const shown = m.targets.filter((t) => !m.skippedTargets.has(t));
    out.push('', `### Isolation: ${m.scenario}`, '');
    if (shown.length) {
      out.push(`| probe | ${shown.join(' | ')} |`, `| --- |${shown.map(() => ' --- |').join('')}`);
      for (const p of m.probes) out.push(`| ${cell(p.name)} | ${shown.map((t) => cell(cellLabel(cellAt(m, p.name, t)).text)).join(' | ')} |`);
      out.push('');
    }
    const { byDesign, failed } = notableCells(m);
    for (const [t, why] of m.skippedTargets) out.push(`- ${t}: ${cell(why)}`);
    for (const c of byDesign) out.push(`- shared by design: ${c.probe} on ${c.target}: ${cell(c.expected?.reason ?? '')}`);
    for (const c of failed) if (c.verdict) out.push(`- **failed** ${c.probe} on ${c.target}: ${cell(c.reason ?? '')}`);
  }
  return out.join('\n');
}
