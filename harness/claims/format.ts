// The claims as plain text (terminal) and as markdown (CI summary).
import type { ClaimsSection } from './types.ts';

export function claimsText(section: ClaimsSection): string {
  const lines: string[] = [];
  for (const c of section.claims) {
    lines.push(`[${c.verdict}] ${c.statement}`);
    lines.push(`    ${c.evidence}`);
    for (const d of c.details) {
      if (d.note) lines.push(`    note: ${d.scenario}/${d.route} ${d.target}: ${d.note}`);
    }
    if (c.details.length > 0 && c.unmeasured.length > 0) lines.push(`    also not measured: ${c.unmeasured.length} row(s), e.g. ${c.unmeasured[0]}`);
    lines.push('');
  }
  lines.push(`machine: ${section.machine.text}`);
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function claimsMarkdown(section: ClaimsSection): string {
  const lines = ['### isobench claims', '', '| claim | verdict | numbers |', '|---|---|---|'];
  for (const c of section.claims) lines.push(`| ${cell(c.statement)} | **${c.verdict}** | ${cell(c.evidence)} |`);
  lines.push('', `Machine: ${cell(section.machine.text)}`);
  return `${lines.join('\n')}\n`;
}
