// Plain progress lines on stderr, for runs without the live terminal view.
import type { ProgressListener, RowKey } from './progress.ts';
import { formatUs } from './summary.ts';

const label = (k: RowKey) => `${k.scenario} ${k.route} @ ${k.target}`;

export function plainProgress(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): ProgressListener {
  let total = 0;
  let done = 0;
  const started = new Set<string>();
  const unprobed = new Set<string>();
  return (event) => {
    switch (event.kind) {
      case 'plan':
        total = event.rows.length;
        write(`isobench: ${total} runs planned`);
        break;
      case 'phase':
        if (event.phase === 'starting') {
          const server = `${event.row.scenario} @ ${event.row.target}`;
          if (!started.has(server)) write(`[${done + 1}/${total}] ${server}: starting the server`);
          started.add(server);
        } else if (event.phase === 'warming' || event.phase === 'measuring') {
          write(`[${done + 1}/${total}] ${label(event.row)}: ${event.phase}`);
        }
        break;
      case 'tick':
        write(
          `    ${event.totalSec ? `${event.elapsedSec.toFixed(0)}/${event.totalSec} s` : `${event.elapsedSec.toFixed(0)} s`}` +
            `  ${event.requests}${event.totalRequests ? `/${event.totalRequests}` : ''} req  ${event.rps.toFixed(0)} req/s  p50 ${formatUs(event.p50Us)}  p99 ${formatUs(event.p99Us)}  ${event.errors} errors`,
        );
        break;
      case 'row-done': {
        done++;
        const r = event.result;
        const what = r.status === 'ok' ? `ok, p50 ${formatUs(r.latencyUs!.p50)} p99 ${formatUs(r.latencyUs!.p99)}, ${r.requests} requests` : `${r.status}: ${r.reason}`;
        write(`[${done}/${total}] ${label(event.row)}: ${what}`);
        break;
      }
      case 'probe-done': {
        const c = event.cell;
        if (!c.verdict) {
          // a target that did not run gives every probe the same reason: say it once
          const server = `${c.scenario} @ ${c.target}`;
          if (!unprobed.has(server)) write(`    isolation ${server}: ${c.status}: ${c.reason}`);
          unprobed.add(server);
          break;
        }
        const verdict = c.verdict ? `${c.verdict}${c.status === 'failed' ? ' (FAILED)' : ''}` : c.status;
        write(`    isolation ${c.scenario} @ ${c.target} ${c.probe}: ${verdict}${c.status !== 'ok' || c.verdict === 'shared' ? ` (${c.reason})` : ''}`);
        break;
      }
      case 'finished':
        if (event.outFile) write(`isobench: results written to ${event.outFile}`);
        break;
    }
  };
}
