// The interactive results table shown when a run ends on a terminal (and by `isobench report --format text`).
import { useMemo, useRef, useState } from 'react';
import { Box, Text, useApp, useInput } from 'ink';
import type { ResultsDocument } from '../results/types.ts';
import { groupByScenario, type ScenarioGroup, type TargetRow } from '../common/model.ts';
import { formatUs, padEnd, padStart, truncate } from '../common/format.ts';
import { barPercentiles } from '../common/percentiles.ts';
import { isolationColor } from './colors.ts';
import { matrixByScenario } from '../common/matrix.ts';
import { MATRIX_FOOTER, MatrixPanel } from './matrix-panel.tsx';
import { COLUMNS, groupTitle, headerLine, rowCells, sortRows, unmeasuredLine, type SortSpec, type ValueMode } from './table-layout.ts';

export const TABLE_FOOTER = '←/→ scenario ↑/↓ row ⏎ bars a µs/ratio 0-8 sort (twice: reverse) i iso q quit';
export const SORT_FOOTER = `sort ${COLUMNS.map((c) => `${c.sortKey}=${c.label}`).join(' ')}`;
export const BARS_FOOTER = '↑/↓ target  esc/enter back  q quit';

function TableRow({ row, mode, selected, width }: { row: TargetRow; mode: ValueMode; selected: boolean; width: number }) {
  if (!row.measured) {
    return (
      <Text inverse={selected} color={row.run.status === 'failed' ? 'red' : 'magenta'} wrap="truncate">
        {unmeasuredLine(row, width - 1)}
      </Text>
    );
  }
  const cells = rowCells(row, mode);
  return (
    <Text inverse={selected} wrap="truncate">
      {COLUMNS.map((c, i) => {
        const text = `${i > 0 ? ' ' : ''}${cells[i]}`;
        if (c.key === 'errors' && row.errorsTotal > 0) return <Text key={c.key} color="red">{text}</Text>;
        if (c.key === 'isolation') return <Text key={c.key} color={isolationColor(cells[i].trim())}>{text}</Text>;
        if (c.key === 'target') return <Text key={c.key} bold>{text}</Text>;
        return <Text key={c.key}>{text}</Text>;
      })}
    </Text>
  );
}

/** one bar per percentile for the selected target, with native's bar under it for comparison */
export function PercentileBars({ group, row, width }: { group: ScenarioGroup; row: TargetRow; width: number }) {
  const mine = barPercentiles(row.run);
  const native = group.baseline && group.baseline !== row ? barPercentiles(group.baseline.run) : [];
  const nativeBy = new Map(native.map((p) => [p.label, p.valueUs]));
  const scale = Math.max(1, ...mine.map((p) => p.valueUs), ...native.filter((p) => mine.some((m) => m.label === p.label)).map((p) => p.valueUs));
  const barWidth = Math.max(10, width - 1 - 7 - 1 - 7 - 1 - 8);
  const bar = (v: number) => '█'.repeat(Math.max(1, Math.round((v / scale) * barWidth)));
  return (
    <Box flexDirection="column">
      <Text bold>{truncate(`${groupTitle(group)} · ${row.target} · latency percentiles`, width - 1)}</Text>
      {!row.measured && <Text color={row.run.status === 'failed' ? 'red' : 'magenta'}>{truncate(unmeasuredLine(row, width - 1), width - 1)}</Text>}
      {row.measured && mine.length === 0 && <Text>no latency data in this row</Text>}
      {mine.map((p) => {
        const n = nativeBy.get(p.label);
        return (
          <Box key={p.label} flexDirection="column">
            <Text wrap="truncate">
              {padEnd(p.label, 7)} {padStart(formatUs(p.valueUs), 7)} <Text color="blue">{bar(p.valueUs)}</Text>
            </Text>
            {n !== undefined && (
              <Text wrap="truncate" dimColor>
                {padEnd('', 7)} {padStart(formatUs(n), 7)} {bar(n)} native
              </Text>
            )}
          </Box>
        );
      })}
    </Box>
  );
}

export function ResultsView({ doc, width = 80, onExit }: { doc: ResultsDocument; width?: number; onExit?: () => void }) {
  const { exit } = useApp();
  const groups = useMemo(() => groupByScenario(doc), [doc]);
  const [scenario, setScenario] = useState(0);
  const [sort, setSort] = useState<SortSpec>({ descending: false });
  const [mode, setMode] = useState<ValueMode>('absolute');
  const [selected, setSelected] = useState(0);
  const [bars, setBars] = useState(false);
  const matrices = useMemo(() => matrixByScenario(doc), [doc]);
  // a document with only the matrix (`isobench isolation`) opens on it
  const [showMatrix, setShowMatrix] = useState(groups.length === 0 && matrices.length > 0);
  const [matrixIndex, setMatrixIndex] = useState(0);
  // read through a ref: ink may call a handler registered before the last render
  const matrixShown = useRef(showMatrix);
  matrixShown.current = showMatrix;

  const group = groups[Math.min(scenario, Math.max(0, groups.length - 1))];
  const rows = group ? sortRows(group.rows, sort) : [];
  const row = rows[Math.min(selected, Math.max(0, rows.length - 1))];

  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      onExit?.();
      exit();
      return;
    }
    if (matrixShown.current) {
      if ((input === 'i' || key.escape) && groups.length > 0) setShowMatrix(false);
      else if ((key.leftArrow || key.rightArrow) && matrices.length > 0) {
        const n = matrices.length;
        setMatrixIndex((m) => (m + (key.rightArrow ? 1 : n - 1)) % n);
      }
      return;
    }
    if (input === 'i' && matrices.length > 0) {
      const here = matrices.findIndex((m) => m.scenario === group?.scenario);
      setMatrixIndex(here >= 0 ? here : 0);
      setShowMatrix(true);
      return;
    }
    if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
    else if (key.downArrow) setSelected((s) => Math.min(rows.length - 1, s + 1));
    else if (bars) {
      if (key.escape || key.return || input === 'b') setBars(false);
    } else if (key.leftArrow || key.rightArrow) {
      const n = groups.length;
      if (n > 0) setScenario((s) => (s + (key.rightArrow ? 1 : n - 1)) % n);
      setSelected(0);
    } else if (key.return || input === 'b') {
      if (row) setBars(true);
    } else if (input === 'a' || input === 'r') {
      setMode((m) => (m === 'absolute' ? 'ratio' : 'absolute'));
    } else {
      const col = COLUMNS.find((c) => c.sortKey === input);
      if (col) {
        const key = col.key === 'target' ? undefined : col.key;
        // latencies sort fastest first, throughput highest first; pressing again reverses
        const natural = col.key === 'rps';
        setSort((s) => (s.key === key && key !== undefined ? { key, descending: !s.descending } : { key, descending: natural }));
      }
    }
  });

  const w = Math.max(40, width);
  const matrix = matrices[Math.min(matrixIndex, Math.max(0, matrices.length - 1))];
  if (showMatrix && matrix) {
    return (
      <Box flexDirection="column">
        <MatrixPanel matrix={matrix} index={matrixIndex} count={matrices.length} width={w} />
        <Text dimColor>{truncate(MATRIX_FOOTER, w - 1)}</Text>
      </Box>
    );
  }
  if (!group) return <Text>no runs in this results document</Text>;
  const nav = `${groupTitle(group)}  (${scenario + 1}/${groups.length})`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {truncate(`◀ ${nav} ▶  ${mode === 'ratio' ? 'ratio to native' : 'absolute µs'}`, w - 1)}
      </Text>
      {bars && row ? (
        <>
          <PercentileBars group={group} row={row} width={w} />
          <Text dimColor>{truncate(BARS_FOOTER, w - 1)}</Text>
        </>
      ) : (
        <>
          <Text bold wrap="truncate">{headerLine(sort)}</Text>
          {rows.map((r, i) => (
            <TableRow key={r.target} row={r} mode={mode} selected={i === selected} width={w} />
          ))}
          {!group.baseline && <Text dimColor>{truncate('no measured native row: ratios not available', w - 1)}</Text>}
          <Text dimColor>{truncate(TABLE_FOOTER, w - 1)}</Text>
          <Text dimColor>{truncate(SORT_FOOTER, w - 1)}</Text>
        </>
      )}
    </Box>
  );
}
