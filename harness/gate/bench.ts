// How gate, baseline and tune start a measured run: the harness's runBenchmark, never writing
// its own results file (these commands write theirs).
import type { ProgressListener } from '../progress.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { runBenchmark, type RunOptions } from '../run.ts';

/** The options these commands pass on (a subset of RunOptions; tests may add registries). */
export type BenchOptions = Pick<
  RunOptions,
  'scenarios' | 'targets' | 'routes' | 'durationSec' | 'requests' | 'warmup' | 'connections' | 'client' | 'scenarioSettings' | 'scenarioList' | 'targetList'
>;

export type RunBenchmark = (options: BenchOptions, onProgress?: ProgressListener) => Promise<ResultsDocument>;

export const runWithoutFile: RunBenchmark = (options, onProgress) => runBenchmark({ ...options, out: null }, onProgress);

/** A quiet progress printer for long commands: one line per finished row, on stderr. */
export function rowPrinter(prefix: string): ProgressListener {
  return (event) => {
    if (event.kind !== 'row-done') return;
    const r = event.result;
    const what = `${r.scenario}/${r.route} ${r.target}`;
    const detail = r.status === 'ok' && r.latencyUs ? `p50 ${Math.round(r.latencyUs.p50)} µs, p99 ${Math.round(r.latencyUs.p99)} µs` : `${r.status}${r.reason ? `: ${r.reason}` : ''}`;
    process.stderr.write(`${prefix}${what}: ${detail}\n`);
  };
}
