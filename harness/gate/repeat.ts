// Running the same benchmark N times for the gate and for baselines.
import type { ResultsDocument } from '../../reports/results/types.ts';
import type { BenchOptions, RunBenchmark } from './bench.ts';
import { rowPrinter } from './bench.ts';
import type { BaselineRunOptions } from './types.ts';

export async function runRepeats(run: RunBenchmark, options: BenchOptions, repeats: number, quiet: boolean): Promise<ResultsDocument[]> {
  const docs: ResultsDocument[] = [];
  for (let i = 1; i <= repeats; i++) {
    if (!quiet) process.stderr.write(`repeat ${i}/${repeats}\n`);
    docs.push(await run(options, quiet ? undefined : rowPrinter('  ')));
  }
  return docs;
}

/** What a set of documents says about how they were run, for a baseline made with --from. */
export function runOptionsFromDocuments(docs: readonly ResultsDocument[]): BaselineRunOptions {
  const first = docs[0];
  const scenarios = [...new Set(first.runs.map((r) => r.scenario))];
  const targets = [...new Set(first.runs.map((r) => r.target))];
  const s = first.settings as Record<string, unknown>;
  const options: BaselineRunOptions = { scenarios, targets };
  if (typeof s?.durationSec === 'number') options.durationSec = s.durationSec;
  if (typeof s?.warmupRequests === 'number') options.warmup = s.warmupRequests;
  if (typeof s?.client === 'string' && (s.client === 'keepalive' || s.client === 'per-request')) options.client = s.client;
  const scenarioSettings = s?.scenarioSettings;
  if (scenarioSettings && typeof scenarioSettings === 'object' && Object.keys(scenarioSettings).length > 0) {
    options.scenarioSettings = scenarioSettings as Record<string, unknown>;
  }
  if (typeof s?.connections === 'number') options.connections = s.connections;
  return options;
}

/** Baseline's run options, overridden by any the command line gave. */
export function mergeRunOptions(recorded: BaselineRunOptions, given: BenchOptions): BenchOptions {
  const merged: BenchOptions = { ...recorded, ...given };
  if (recorded.scenarioSettings || given.scenarioSettings) merged.scenarioSettings = { ...recorded.scenarioSettings, ...given.scenarioSettings };
  return merged;
}
