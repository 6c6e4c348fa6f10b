// The isolation matrix in the interactive results view (key `i`): probes × targets of one
// scenario (←/→ switches), coloured by verdict, with what is skipped, n/a, shared by design or failed.
import { Box, Text } from 'ink';
import type { ScenarioMatrix } from '../common/matrix.ts';
import { cellAt, cellLabel, notableCells, type CellTone } from '../common/matrix.ts';
import { padEnd, truncate } from '../common/format.ts';

export const MATRIX_FOOTER = '←/→ scenario  i/esc back  q quit';

const TONE_COLOR: Record<CellTone, string | undefined> = {
  isolated: 'green',
  failed: 'red',
  shared: 'blue',
  'by-design': 'magenta',
  unexpected: 'magenta',
  na: undefined,
  skipped: undefined,
};

export function MatrixPanel({ matrix, index, count, width }: { matrix: ScenarioMatrix; index: number; count: number; width: number }) {
  const shown = matrix.targets.filter((t) => !matrix.skippedTargets.has(t));
  const probeWidth = Math.max(5, ...matrix.probes.map((p) => p.name.length));
  const colWidth = Math.max(8, ...shown.map((t) => t.length), ...matrix.probes.flatMap((p) => shown.map((t) => cellLabel(cellAt(matrix, p.name, t)).text.length)));
  const { byDesign, failed } = notableCells(matrix);
  const notes = [
    ...[...matrix.skippedTargets].map(([t, why]) => ({ text: `${t}: ${why}`, color: undefined as string | undefined })),
    ...byDesign.map((c) => ({ text: `shared by design: ${c.probe} on ${c.target}: ${c.expected?.reason ?? ''}`, color: 'magenta' })),
    ...failed.filter((c) => c.verdict).map((c) => ({ text: `FAILED ${c.probe} on ${c.target}: ${c.reason ?? ''}`, color: 'red' })),
  ];
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">{truncate(`◀ isolation: ${matrix.scenario}  (${index + 1}/${count}) ▶`, width - 1)}</Text>
      <Text bold wrap="truncate">{[padEnd('probe', probeWidth), ...shown.map((t) => padEnd(t, colWidth))].join(' ')}</Text>
      {matrix.probes.map((p) => (
        <Text key={p.name} wrap="truncate">
          {padEnd(p.name, probeWidth)}
          {shown.map((t) => {
            const { text, tone } = cellLabel(cellAt(matrix, p.name, t));
            return (
              <Text key={t} color={TONE_COLOR[tone]} dimColor={tone === 'na' || tone === 'skipped'}>
                {' '}
                {padEnd(text, colWidth)}
              </Text>
            );
          })}
        </Text>
      ))}
      {notes.map((n, i) => (
        <Text key={i} color={n.color} dimColor={!n.color} wrap="truncate">
          {truncate(n.text, width - 1)}
        </Text>
      ))}
    </Box>
  );
}
