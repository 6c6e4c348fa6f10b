import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { baselinePath, readBaseline } from '../gate/baseline.ts';
import { runWithoutFile } from '../gate/bench.ts';
import { nothingCompared } from '../gate/compare.ts';
import { readResultsDocument } from '../gate/documents.ts';
import { Flags, RUN_FLAGS, RUN_FLAGS_HELP, runFlagOptions } from './flags.ts';
import { gateDocuments, gateExitCode, type FigureSource } from '../gate/gate.ts';
import { existsSync } from 'node:fs';
import { comparisonMarkdown } from '../gate/markdown.ts';
import { mergeRunOptions, runRepeats } from '../gate/repeat.ts';
import { CI_THRESHOLDS, DEFAULT_THRESHOLDS, formatThresholds, parseThresholds, type Thresholds } from '../gate/thresholds.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { writeResults } from '../../reports/results/writer.ts';

const help = `Usage: isobench gate [--baseline NAME|FILE] [--from RESULTS.json]... [--repeat N]
                     [--max-regression SPEC] [--engine-figures RESULTS.json]... [--markdown FILE]
                     [--out FILE] [--quiet] [run options]

Compare this code's performance against a committed baseline (baselines/<name>.json, made by
isobench baseline save). Latency percentiles are compared as a ratio to native of the same
scenario and route in the same run, so a busy machine slowing everything alike is not a
regression; native's own req/s is compared absolutely, with a wide band.

  --baseline NAME|FILE   baseline to compare against (default: default -> baselines/default.json)
  --from FILE            compare these results documents instead of running (repeatable: repeats)
  --repeat N             run N times (default 1); the median of each metric over the repeats is
                         compared, and their spread is the noise estimate
  --max-regression SPEC  allowed worsening per metric (default ${formatThresholds(DEFAULT_THRESHOLDS)});
                         metrics p50, p90, p99, p999 (ratios) and rps (native); METRIC=off drops one;
                         "ci" is the generous preset of npm run gate:ci (${formatThresholds(CI_THRESHOLDS)})
  --engine-figures FILE  the engine's deterministic figures measured elsewhere: the QEMU test bed's
                         results/testbed/engine-figures.json (npm run test:vm); a missing file is
                         reported and ignored (repeatable)
  --markdown FILE        also write the markdown table to FILE
  --out FILE             write the results document (last repeat) with its comparison section
  --quiet                no progress lines on stderr

Run options (as for isobench run; the gate defaults to what the baseline recorded):
${RUN_FLAGS_HELP}

A metric regresses when it is worse than its threshold and than the noise of the repeats
(the widest (max - min) / median of baseline and current); beyond the threshold but within
the noise it is reported as noise and does not fail. A row that ran in the baseline and
fails now fails the gate; one that is skipped now is reported as missing.

The engine's deterministic figures (exits and syscalls by number per request, newly dirtied
pages per request, private pages per worker, per kvm row and exit path) come from this run's kvm
rows and from --engine-figures; they are compared tightly: one more exit or syscall per request
fails. When the baseline has engine rows and none of them, latency or figure, was compared here,
the gate fails.

The table is printed, and appended to $GITHUB_STEP_SUMMARY when that is set.
Exit status: 0 pass, 1 regression, 2 could not run (bad flags, no baseline, run failed).`;

export const gateCommand: Command = {
  name: 'gate',
  summary: 'compare a run against a committed baseline; exit 1 on a performance regression',
  help,
  async run(argv) {
    const flags = new Flags({ command: 'gate', prefixed: true });
    const { values } = flags.parse(argv, {
      baseline: { type: 'string' },
      from: { type: 'string', multiple: true },
      repeat: { type: 'string' },
      'max-regression': { type: 'string' },
      markdown: { type: 'string' },
      'engine-figures': { type: 'string', multiple: true },
      out: { type: 'string' },
      quiet: { type: 'boolean' },
      ...RUN_FLAGS,
    });
    const repeat = values.repeat === undefined ? 1 : flags.integer('--repeat', values.repeat, { max: 50 });
    let thresholds: Thresholds = DEFAULT_THRESHOLDS;
    if (values['max-regression'] !== undefined) {
      try {
        thresholds = values['max-regression'] === 'ci' ? CI_THRESHOLDS : parseThresholds(values['max-regression']);
      } catch (err) {
        throw new UsageError(`gate: ${(err as Error).message}`);
      }
    }
    const given = runFlagOptions(flags, values);
    const runFlagsGiven = Object.keys(given).length > 0;
    if (values.from && (values.repeat !== undefined || runFlagsGiven)) {
      throw new UsageError('gate: --from compares existing results; it cannot be combined with --repeat or run options');
    }
    let file: string;
    try {
      file = baselinePath(values.baseline ?? 'default');
    } catch (err) {
      throw new UsageError(`gate: ${(err as Error).message}`);
    }

    const fail = (message: string): number => {
      process.stderr.write(`isobench gate: could not run: ${message}\n`);
      return 2;
    };
    let docs: ResultsDocument[];
    let baseline;
    try {
      baseline = await readBaseline(file);
      if (values.from) {
        docs = await Promise.all(values.from.map(readResultsDocument));
      } else {
        docs = await runRepeats(runWithoutFile, mergeRunOptions(baseline.runOptions, given), repeat, values.quiet === true);
      }
    } catch (err) {
      return fail((err as Error).message.split('\n')[0]);
    }

    const figureSources: FigureSource[] = [];
    try {
      for (const f of values['engine-figures'] ?? []) {
        if (!existsSync(f)) {
          process.stderr.write(`isobench gate: no engine figures at ${f} (npm run test:vm writes them)\n`);
          continue;
        }
        const doc = await readResultsDocument(f);
        const commit = doc.versions?.gitCommit ? `, commit ${String(doc.versions.gitCommit).slice(0, 10)}` : '';
        figureSources.push({ label: `${f} (${doc.createdAt}${commit})`, doc });
      }
    } catch (err) {
      return fail((err as Error).message.split('\n')[0]);
    }
    const comparison = gateDocuments(baseline, docs, thresholds, file, figureSources);
    const markdown = comparisonMarkdown(comparison);
    process.stdout.write(markdown);
    try {
      if (process.env.GITHUB_STEP_SUMMARY) await appendFile(process.env.GITHUB_STEP_SUMMARY, `${markdown}\n`);
      if (values.markdown) {
        await mkdir(path.dirname(path.resolve(values.markdown)), { recursive: true });
        await writeFile(values.markdown, markdown);
      }
      if (values.out) writeResults({ ...docs[docs.length - 1], comparison }, values.out);
    } catch (err) {
      return fail(`cannot write output: ${(err as Error).message}`);
    }
    if (nothingCompared(comparison)) return fail(`nothing in this run could be compared with baseline ${baseline.name} (no metric on both sides)`);
    return gateExitCode(comparison);
  },
};
