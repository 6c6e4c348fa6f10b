import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { baselinePath, checkBaselineName, makeBaseline, readBaseline, withFigures, writeBaseline } from '../gate/baseline.ts';
import { runWithoutFile } from '../gate/bench.ts';
import { readResultsDocument } from '../gate/documents.ts';
import { Flags, RUN_FLAGS, RUN_FLAGS_HELP, runFlagOptions } from './flags.ts';
import { runOptionsFromDocuments, runRepeats } from '../gate/repeat.ts';
import type { BaselineRunOptions } from '../gate/types.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';

const help = `Usage: isobench baseline save [--name NAME] [--file FILE] [--from RESULTS.json]... [--repeat N] [--quiet] [run options]
       isobench baseline figures [--name NAME] [--file FILE] --from RESULTS.json...

Record a baseline for isobench gate: each target's latency percentiles as a ratio to native
(same scenario, route and run) and native's req/s, per repeat, with their median and spread.
Written to baselines/<NAME>.json (commit it), overwriting an older one of that name.

  --name NAME      baseline name (default: default); letters, digits, '.', '_', '-'
  --file FILE      write here instead of baselines/<NAME>.json
  --from FILE      make it from these results documents instead of running (repeatable)
  --repeat N       run N times (default 3): more repeats, a better noise estimate
  --quiet          no progress lines on stderr

Run options (as for isobench run):
${RUN_FLAGS_HELP}

The run options are recorded in the baseline; isobench gate reruns with them. The engine's
deterministic figures of every kvm row are recorded too.

baseline figures: replace only the engine figures of an existing baseline with those of the
documents given (e.g. the test bed's results/testbed/engine-figures.json, made where there is
no /dev/kvm); figures of other rows and exit paths are kept.

Exit status: 0 saved, 2 could not (bad flags, run failed, no comparable rows).`;

export const baselineCommand: Command = {
  name: 'baseline',
  summary: 'save a performance baseline for isobench gate (baseline save)',
  help,
  async run(argv) {
    const flags = new Flags({ command: 'baseline', prefixed: true });
    const { values, positionals } = flags.parse(
      argv,
      {
        name: { type: 'string' },
        file: { type: 'string' },
        from: { type: 'string', multiple: true },
        repeat: { type: 'string' },
        quiet: { type: 'boolean' },
        ...RUN_FLAGS,
      },
      true,
    );
    if (positionals.length === 0) throw new UsageError('baseline: missing sub-command (isobench baseline save ...)');
    if (positionals[0] !== 'save' && positionals[0] !== 'figures') throw new UsageError(`baseline: unknown sub-command "${positionals[0]}" (save or figures)`);
    if (positionals.length > 1) throw new UsageError(`baseline: unexpected argument "${positionals[1]}"`);
    const name = values.name ?? 'default';
    try {
      checkBaselineName(name);
    } catch (err) {
      throw new UsageError(`baseline: ${(err as Error).message}`);
    }
    const repeat = values.repeat === undefined ? 3 : flags.integer('--repeat', values.repeat, { max: 50 });
    const given = runFlagOptions(flags, values);
    if (values.from && (values.repeat !== undefined || Object.keys(given).length > 0)) {
      throw new UsageError('baseline: --from uses existing results; it cannot be combined with --repeat or run options');
    }
    const file = values.file ?? baselinePath(name);
    if (positionals[0] === 'figures') {
      if (!values.from || values.repeat !== undefined || Object.keys(given).length > 0) {
        throw new UsageError('baseline figures: needs --from RESULTS.json and takes no run options');
      }
      return saveFigures(file, values.from);
    }

    let docs: ResultsDocument[];
    let runOptions: BaselineRunOptions;
    try {
      if (values.from) {
        docs = await Promise.all(values.from.map(readResultsDocument));
        runOptions = runOptionsFromDocuments(docs);
      } else {
        runOptions = { ...given };
        docs = await runRepeats(runWithoutFile, given, repeat, values.quiet === true);
      }
    } catch (err) {
      process.stderr.write(`isobench baseline: could not run: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    const baseline = makeBaseline(name, docs, runOptions);
    if (baseline.metrics.length === 0) {
      const reasons = baseline.rows.filter((r) => r.status !== 'ok').map((r) => `${r.scenario}/${r.route} ${r.target}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`);
      process.stderr.write(`isobench baseline: could not save: no row produced a comparable metric (needs native ok rows)${reasons.length ? `; ${reasons.slice(0, 3).join('; ')}` : ''}\n`);
      return 2;
    }
    try {
      await writeBaseline(file, baseline);
    } catch (err) {
      process.stderr.write(`isobench baseline: could not write ${file}: ${(err as Error).message}\n`);
      return 2;
    }
    const ratios = baseline.metrics.filter((m) => m.kind === 'ratio-to-native').length;
    process.stdout.write(`saved ${file}: ${baseline.metrics.length} metrics (${ratios} ratios to native) from ${docs.length} repeat${docs.length === 1 ? '' : 's'}\n`);
    return 0;
  },
};

async function saveFigures(file: string, from: string[]): Promise<number> {
  try {
    const docs = await Promise.all(from.map(readResultsDocument));
    const { baseline, figures } = withFigures(await readBaseline(file), docs);
    if (figures.length === 0) {
      process.stderr.write(`isobench baseline: could not save: no kvm row with engine figures in ${from.join(', ')}\n`);
      return 2;
    }
    await writeBaseline(file, baseline);
    process.stdout.write(`saved ${file}: engine figures of ${figures.length} rows (${[...new Set(figures.map((f) => f.exitPath))].join(', ')})\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`isobench baseline: could not save figures: ${(err as Error).message.split('\n')[0]}\n`);
    return 2;
  }
}
