import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { runWithoutFile } from '../gate/bench.ts';
import { Flags, SET_VALUE_HELP } from './flags.ts';
import { thresholdChart, workerChart } from '../tune/chart.ts';
import { DEFAULT_THRESHOLDS_BYTES, formatSize, parseCountList, parseSizeList } from '../tune/sizes.ts';
import { runTune, tuneAvailability, TUNE_TARGET, type TunePlan } from '../tune/tune.ts';
import { scenarios } from '../../scenarios/index.ts';
import { looksLikeScenarioFile } from '../../scenarios/file/load.ts';
import { PlanError, checkedPlan, withScenarioFiles } from '../run.ts';
import { targets } from '../targets/index.ts';
import { writeResults } from '../../reports/results/writer.ts';

const help = `Usage: isobench tune --scenario NAME|FILE [--route NAME] [--thresholds LIST] [--max-worker-mb N]
                     [--workers LIST] [--threshold-workers N] [--duration S] [--warmup N]
                     [--connections N] [--set KEY=VALUE]... [--out FILE]

Sweep the hybrid reset threshold of the KVM engine (target ${TUNE_TARGET}) for one scenario: for each
threshold, p50/p99, the fraction of resets that were full, mean reset µs and worker RSS (from
the engine counters). Recommends the threshold with the lowest p99 within the worker memory
budget (p99s within 5% of the lowest count as equal; the one using least memory wins), prints
the curve and the engine server flags to use. Then sweeps the worker count at that threshold
(per-request reset trades memory for parallelism) and recommends the fewest workers within 5%
of the best req/s.

  --scenario NAME|FILE   scenario to tune (required): a built-in, or a scenario file such as
                         ./myapp/isobench.scenario.json (as for isobench run)
  --route NAME           route to measure (default: the scenario's first)
  --thresholds LIST      thresholds to try (default ${DEFAULT_THRESHOLDS_BYTES.map(formatSize).join(',')}); sizes like 64K, 4M, 1G
  --max-worker-mb N      memory budget per worker in MiB (points without a reported RSS cannot fit)
  --workers LIST         worker counts for the second sweep (default 1,2,4; "none" skips it)
  --threshold-workers N  workers during the threshold sweep (default 1)
  --duration SECONDS     measured seconds per point (default 5)
  --warmup N             warm-up requests per point
  --connections N        connections (default 1; the worker sweep defaults to one per worker)
  --set KEY=VALUE        another scenario/target setting (repeatable)
                         ${SET_VALUE_HELP}
  --out FILE             write a results document with every point and the sweep section

Exit status: 0 swept, 2 could not (bad flags, or ${TUNE_TARGET} unavailable: "skipped: <reason>").`;

export const tuneCommand: Command = {
  name: 'tune',
  summary: `sweep the hybrid reset threshold and worker count on ${TUNE_TARGET}; recommend server flags`,
  help,
  async run(argv) {
    const flags = new Flags({ command: 'tune', prefixed: true });
    const { values } = flags.parse(argv, {
      scenario: { type: 'string' },
      route: { type: 'string' },
      thresholds: { type: 'string' },
      'max-worker-mb': { type: 'string' },
      workers: { type: 'string' },
      'threshold-workers': { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      set: { type: 'string', multiple: true },
      out: { type: 'string' },
    });
    if (!values.scenario) throw new UsageError('tune: --scenario NAME|FILE is required');
    const scenarioSettings = values.set ? flags.settings(values.set, looksLikeScenarioFile(values.scenario)) : undefined;
    // the scenario (a name, or a file loaded as run loads it), its route and settings, checked as run checks them
    let resolved;
    try {
      resolved = await withScenarioFiles({ scenarios: [values.scenario] });
      checkedPlan({ ...resolved, targets: [TUNE_TARGET], ...(values.route ? { routes: [values.route] } : {}), ...(scenarioSettings ? { scenarioSettings } : {}) });
    } catch (err) {
      if (err instanceof PlanError) throw flags.error(err.message);
      throw err;
    }
    const scenarioList = resolved.scenarioList ?? scenarios;
    const scenario = scenarioList.find((s) => s.name === resolved.scenarios![0])!;
    const wrap = <T>(f: () => T): T => {
      try {
        return f();
      } catch (err) {
        throw new UsageError(`tune: ${(err as Error).message}`);
      }
    };
    const thresholdsBytes = values.thresholds ? wrap(() => parseSizeList(values.thresholds!, '--thresholds')) : [...DEFAULT_THRESHOLDS_BYTES];
    const workers = values.workers === 'none' ? [] : values.workers ? wrap(() => parseCountList(values.workers!, '--workers', 64)) : [1, 2, 4];
    const maxWorkerMb = values['max-worker-mb'] === undefined ? undefined : flags.positiveNumber('--max-worker-mb', values['max-worker-mb'], 1024 * 1024);
    const plan: TunePlan = {
      scenario: scenario.name,
      scenarioList,
      ...(values.route ? { route: values.route } : {}),
      thresholdsBytes,
      thresholdWorkers: values['threshold-workers'] === undefined ? 1 : flags.integer('--threshold-workers', values['threshold-workers'], { max: 64 }),
      workers,
      ...(maxWorkerMb !== undefined ? { maxWorkerRssBytes: Math.round(maxWorkerMb * 1024 * 1024) } : {}),
      durationSec: values.duration === undefined ? 5 : flags.positiveNumber('--duration', values.duration),
      ...(values.warmup !== undefined ? { warmup: flags.integer('--warmup', values.warmup, { min: 0 }) } : {}),
      ...(values.connections !== undefined ? { connections: flags.integer('--connections', values.connections, { max: 1024 }) } : {}),
      ...(scenarioSettings ? { scenarioSettings } : {}),
    };

    const available = await tuneAvailability(scenario, targets);
    if (!available.ok) {
      process.stderr.write(`isobench tune: skipped: ${available.reason}\n`);
      return 2;
    }
    let outcome;
    try {
      outcome = await runTune(plan, runWithoutFile, (line) => process.stderr.write(`  ${line}\n`));
    } catch (err) {
      process.stderr.write(`isobench tune: could not run: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    const first = outcome.thresholdSweep.points[0];
    if (outcome.thresholdSweep.points.every((p) => p.status !== 'ok')) {
      process.stderr.write(`isobench tune: ${first?.status ?? 'failed'}: ${first?.reason ?? 'no point was measured'}\n`);
      return 2;
    }
    process.stdout.write(`${thresholdChart(outcome.thresholdSweep)}\n`);
    if (outcome.workerSweep) process.stdout.write(`\n${workerChart(outcome.workerSweep)}\n`);
    if (values.out) {
      try {
        writeResults(outcome.document, values.out);
        process.stdout.write(`results: ${values.out}\n`);
      } catch (err) {
        process.stderr.write(`isobench tune: ${(err as Error).message}\n`);
        return 2;
      }
    }
    return 0;
  },
};
