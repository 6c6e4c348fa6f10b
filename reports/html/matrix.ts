// The HTML report's isolation-matrix section: per scenario, probes × targets, each cell coloured
// by its verdict, its evidence on hover (title) and on click (<details>).
import type { MatrixCell, ResultsDocument } from '../results/types.ts';
import { cellAt, cellEvidence, cellLabel, matrixByScenario, notableCells } from '../common/matrix.ts';
import { escapeHtml } from './page.ts';

export const MATRIX_STYLE = `
table.matrix td.iso { white-space: nowrap; }
table.matrix td.iso summary { cursor: pointer; font-weight: 600; }
table.matrix td.iso pre { white-space: pre-wrap; font-size: 11px; max-width: 36em; margin: 4px 0; }
.iso.tone-isolated summary { color: var(--good); } .iso.tone-failed summary { color: var(--bad); }
.iso.tone-shared summary { color: #8a5a00; } .iso.tone-by-design summary { color: #8a5a00; font-style: italic; }
.iso.tone-na summary, .iso.tone-skipped summary { color: var(--muted); font-weight: 400; } .iso.tone-unexpected summary { color: #6a1b9a; }
ul.iso-notes li { margin: 2px 0; }
`;

function cellHtml(cell: MatrixCell | undefined): string {
  const { text, tone } = cellLabel(cell);
  if (!cell) return `<td class="iso tone-${tone}">—</td>`;
  const evidence = cellEvidence(cell).join('\n');
  return `<td class="iso tone-${tone}" title="${escapeHtml(evidence)}"><details><summary>${escapeHtml(text)}</summary><pre>${escapeHtml(evidence)}</pre></details></td>`;
}

export function matrixSection(doc: Pick<ResultsDocument, 'isolationMatrix'>): string {
  const matrices = matrixByScenario(doc as ResultsDocument);
  if (matrices.length === 0) return '';
  const parts = matrices.map((m) => {
    const shown = m.targets.filter((t) => !m.skippedTargets.has(t));
    const head = ['probe', ...shown.map(escapeHtml)].map((h) => `<th>${h}</th>`).join('');
    const rows = m.probes
      .map((p) => `<tr><td><b>${escapeHtml(p.name)}</b><br><span class="muted">${escapeHtml(p.description ?? '')}</span></td>${shown.map((t) => cellHtml(cellAt(m, p.name, t))).join('')}</tr>`)
      .join('');
    const { byDesign, failed } = notableCells(m);
    const notes = [
      ...[...m.skippedTargets].map(([t, why]) => `<li><b>${escapeHtml(t)}</b>: ${escapeHtml(why)}</li>`),
      ...byDesign.map((c) => `<li><b>${escapeHtml(c.probe)}</b> on ${escapeHtml(c.target)} is <i>shared by design</i>: ${escapeHtml(c.expected?.reason ?? '')}</li>`),
      ...failed.filter((c) => c.verdict).map((c) => `<li class="bad-text">${escapeHtml(c.probe)} on ${escapeHtml(c.target)}: ${escapeHtml(c.reason ?? '')}</li>`),
    ];
    return `<h3>${escapeHtml(m.scenario)}</h3>
<div class="scroll"><table class="matrix"><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>
${notes.length ? `<ul class="iso-notes">${notes.join('')}</ul>` : ''}`;
  });
  return `<section id="isolation-matrix"><h2>Isolation matrix</h2>
<p class="muted">Each probe is a few requests on fresh connections: request N leaves a token, N+1 reports what it found (the concurrent probe: A holds while B reads on a second connection; randomness: is each value new?). Hover or open a cell for the values seen. native and kvm-persist are expected to read shared; a target that promises isolation fails a shared cell unless it is shared by design (listed below with why).</p>
${parts.join('\n')}
</section>`;
}
