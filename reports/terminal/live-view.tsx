// The live view: one line per scenario × route × target, grouped under scenario headers.
import { Box, Text } from 'ink';
import type { Phase } from '../../harness/progress.ts';
import { formatRate, formatSeconds, formatUs, padEnd, padStart, truncate } from '../common/format.ts';
import { remainingSeconds, type LiveRow, type LiveState } from './live-state.ts';
import { phaseColor } from './colors.ts';

const TARGET_WIDTH = 11;
const PHASE_LABEL: Record<Phase, string> = {
  pending: 'pending',
  building: 'building',
  starting: 'starting',
  warming: 'warming up',
  measuring: 'measuring',
  done: 'done',
  skipped: 'skipped',
  failed: 'failed',
};
const PHASE_MARK: Record<Phase, string> = {
  pending: '·',
  building: '›',
  starting: '›',
  warming: '›',
  measuring: '›',
  done: '✔',
  skipped: '–',
  failed: '✖',
};

export function progressBar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

/** what follows the target name and state: figures while measuring, results when done, the reason otherwise */
export function rowDetail(row: LiveRow, now: number): string {
  if (row.phase === 'measuring' && row.tick) {
    const t = row.tick;
    const byCount = t.totalRequests !== undefined && t.totalRequests > 0;
    const bar = progressBar(byCount ? t.requests / t.totalRequests! : t.totalSec > 0 ? t.elapsedSec / t.totalSec : 0, 8);
    const progress = byCount ? `${t.requests}/${t.totalRequests} req` : `${Math.floor(t.elapsedSec)}/${Math.round(t.totalSec)}s`;
    const errors = t.errors > 0 ? `  err ${t.errors}` : '';
    return `${bar} ${byCount ? progress : padStart(progress, 6)}  ${padStart(formatRate(t.rps), 6)} r/s  p50 ${padStart(formatUs(t.p50Us), 6)}  p99 ${padStart(formatUs(t.p99Us), 6)}${errors}`;
  }
  if (row.phase === 'done') {
    const l = row.result?.latencyUs;
    const rps = row.result?.rps;
    if (!l) return '';
    return `${padStart(formatRate(rps), 6)} req/s  p50 ${padStart(formatUs(l.p50), 6)}  p99 ${padStart(formatUs(l.p99), 6)}`;
  }
  if (row.phase === 'skipped' || row.phase === 'failed') return row.reason ?? 'no reason given';
  if (row.phase !== 'pending' && row.startedAt !== undefined) return formatSeconds((now - row.startedAt) / 1000);
  return '';
}

export function LiveView({ state, now, width }: { state: LiveState; now: number; width: number }) {
  const ended = state.rows.filter((r) => r.phase === 'done' || r.phase === 'skipped' || r.phase === 'failed').length;
  const remaining = state.finished ? 0 : remainingSeconds(state, now);
  const elapsed = formatSeconds((now - state.startedAt) / 1000);
  const header = `isobench run  ${ended}/${state.rows.length} done  elapsed ${elapsed}  remaining ${remaining === undefined ? '?' : `~${formatSeconds(remaining)}`}`;

  // the plan may interleave routes; gather each scenario+route under one title, in first-seen order
  const byTitle = new Map<string, LiveRow[]>();
  for (const row of state.rows) {
    const title = `${row.key.scenario} ${row.key.route}`;
    byTitle.set(title, [...(byTitle.get(title) ?? []), row]);
  }
  const groups = [...byTitle].map(([title, rows]) => ({ title, rows }));
  const detailWidth = Math.max(0, width - 1 - (2 + TARGET_WIDTH + 1 + 2 + 10 + 1));

  return (
    <Box flexDirection="column">
      <Text bold>{truncate(header, width)}</Text>
      {state.rows.length === 0 && <Text dimColor>planning…</Text>}
      {groups.map((g) => (
        <Box key={g.title} flexDirection="column">
          <Text bold>{truncate(g.title, width)}</Text>
          {g.rows.map((row) => (
            <Text key={row.key.target} wrap="truncate">
              {'  '}
              {padEnd(row.key.target, TARGET_WIDTH)}{' '}
              <Text color={phaseColor(row.phase)} dimColor={row.phase === 'pending'}>
                {PHASE_MARK[row.phase]} {padEnd(PHASE_LABEL[row.phase], 10)}{' '}
              </Text>
              {truncate(rowDetail(row, now), detailWidth)}
            </Text>
          ))}
        </Box>
      ))}
      {state.finished?.outFile && <Text>{truncate(`results: ${state.finished.outFile}`, width - 1)}</Text>}
      {state.finished?.reportLine && <Text>{truncate(state.finished.reportLine, width - 1)}</Text>}
    </Box>
  );
}
