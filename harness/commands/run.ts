// `isobench run`: measure scenarios × targets and write one results document.
import path from 'node:path';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';
import type { ProgressListener } from '../progress.ts';
import { DEFAULTS, PlanError, checkedPlan, runBenchmark, withScenarioFiles, type RunOptions } from '../run.ts';
import { plainProgress } from '../progress-printer.ts';
import { isExecutable } from '../process.ts';
import { summaryTable } from '../summary.ts';
import { matrixText } from '../../reports/terminal/matrix-text.ts';
import { isInteractiveTerminal, startLiveView } from '../../reports/terminal/index.ts';
import { htmlPathFor, writeHtmlReport } from '../../reports/html/index.ts';
import { describeLeftover, findLeftovers, killLeftover } from '../leftovers.ts';
import { Flags, RUN_FLAGS, RUN_FLAGS_HELP, runFlagOptions } from './flags.ts';

const help = `usage: isobench run [options]

Runs every (scenario, route, target) of the plan: starts the server, warms it up, measures it,
probes per-request isolation, and writes one results document.

${RUN_FLAGS_HELP}
  --pin / --no-pin         server on CPU 1, load generator on CPU 0 (default: pin when 2+ CPUs)
  --port N                 fixed server port (default: a free port per server)
  --ready-timeout SECONDS  how long a server may take to answer (default ${DEFAULTS.readyTimeoutSec})
  --kvmserver PATH         upstream kvmserver binary for the kvmserver target (or env KVMSERVER)
  --wasmtime PATH          wasmtime binary for the wasm target (or env WASMTIME; else PATH, else V8 via jco)
  --micro                  also run the engine micro-benchmarks (exit, fork, reset, request) into the document
  --no-isolation           do not run the isolation probes after each server's routes (isobench isolation runs only them)
  --out FILE.json          results file (default results/run-<timestamp>.json); checked before anything runs
  --kill-leftovers         stop servers and clients an earlier, killed isobench left running
  --no-tui                 plain progress lines and a summary table (no live view)
  --help                   this text

Defaults: ${DEFAULTS.durationSec} s measured per row after ${DEFAULTS.warmup} warm-up requests, ${DEFAULTS.connections} connection.

Exit status: 0 when every planned row is ok, skipped because its target is not available here, or
not applicable; 1 when a row failed, a target you named with --target (or a scenario you named,
on every target) could not run here, or an isolation probe read shared on a target that promises
isolation; 2 for bad input.`;

const flagSpec = {
  ...RUN_FLAGS,
  pin: { type: 'boolean' },
  'no-pin': { type: 'boolean' },
  port: { type: 'string' },
  'ready-timeout': { type: 'string' },
  out: { type: 'string' },
  kvmserver: { type: 'string' },
  micro: { type: 'boolean' },
  'no-isolation': { type: 'boolean' },
  wasmtime: { type: 'string' },
  'kill-leftovers': { type: 'boolean' },
  'no-tui': { type: 'boolean' },
} as const;

function requireExecutable(flag: string, file: string): string {
  if (!isExecutable(file)) throw new UsageError(`${flag}: '${file}' is not an executable file`);
  return path.resolve(file);
}

/** per micro-benchmark inside a run: long enough for stable means, short next to the run itself */
const MICRO_TIME_MS = 200;

export interface ParsedRunArgs {
  options: RunOptions;
  noTui: boolean;
  killLeftovers: boolean;
}

export function parseRunArgs(argv: string[]): ParsedRunArgs {
  const flags = new Flags({ command: 'run' });
  const { values: v } = flags.parse(argv, flagSpec);
  if (v.pin && v['no-pin']) throw new UsageError('give --pin or --no-pin, not both');
  const shared = runFlagOptions(flags, v);
  if (v.out !== undefined && !v.out.endsWith('.json')) throw new UsageError(`--out must name a .json file, got '${v.out}'`);
  // targets read these in availability(), which sees no settings: pass them through the environment
  if (v.kvmserver !== undefined) process.env.KVMSERVER = requireExecutable('--kvmserver', v.kvmserver);
  if (v.wasmtime !== undefined) process.env.WASMTIME = requireExecutable('--wasmtime', v.wasmtime);
  const options: RunOptions = {
    ...shared,
    scenarioSettings: shared.scenarioSettings ?? {},
    pin: !v['no-pin'],
    port: v.port === undefined ? undefined : flags.integer('--port', v.port, { max: 65535 }),
    readyTimeoutSec: v['ready-timeout'] === undefined ? undefined : flags.positiveNumber('--ready-timeout', v['ready-timeout']),
    microTimeMs: v.micro ? MICRO_TIME_MS : undefined,
    isolation: !v['no-isolation'],
    out: v.out,
  };
  return { options, noTui: Boolean(v['no-tui']), killLeftovers: Boolean(v['kill-leftovers']) };
}

/**
 * Why `run` exits 1: failed rows (one line each), and in one line what the user named that could
 * run elsewhere but did not run here: a --target skipped as unavailable, or a --scenario that ran on
 * no target at all. Rows that can never apply (python-wsgi on wasm) and unavailable targets the user
 * did not name are not failures.
 */
export function runFailures(doc: ResultsDocument, options: RunOptions): string[] {
  const problems = doc.runs.filter((r) => r.status === 'failed').map((r) => `${r.scenario} ${r.route} @ ${r.target}: ${r.reason}`);
  const unavailable = doc.runs.filter((r) => r.status === 'skipped' && !r.notApplicable && r.reason !== 'run cancelled');
  const named: string[] = [];
  for (const target of options.targets ?? []) {
    const skipped = unavailable.filter((r) => r.target === target);
    const reasons = [...new Set(skipped.map((r) => r.reason ?? 'no reason given'))];
    if (skipped.length) named.push(`--target ${target} (${reasons.join('; ')})`);
  }
  for (const scenario of options.scenarios ?? []) {
    const rows = doc.runs.filter((r) => r.scenario === scenario);
    if (rows.length && rows.every((r) => r.status === 'skipped') && rows.some((r) => unavailable.includes(r))) {
      named.push(`--scenario ${scenario} (ran on no target: ${[...new Set(rows.map((r) => `${r.target}: ${r.reason}`))].join('; ')})`);
    }
  }
  if (named.length) problems.push(`named but could not run here: ${named.join(', ')}`);
  problems.push(...matrixFailures(doc, options));
  return problems;
}

/** Isolation cells that make a run exit non-zero: failed cells, and (with no latency rows to say it) skips of a named target. */
export function matrixFailures(doc: ResultsDocument, options: RunOptions): string[] {
  const problems = (doc.isolationMatrix ?? []).filter((c) => c.status === 'failed' && c.verdict).map((c) => `isolation ${c.scenario} @ ${c.target} ${c.probe}: ${c.reason}`);
  // a server that failed fails every cell with one reason: say it once
  const serverFailures = new Map<string, string>();
  for (const c of doc.isolationMatrix ?? []) if (c.status === 'failed' && !c.verdict) serverFailures.set(`${c.scenario} @ ${c.target}`, c.reason ?? '');
  for (const [key, reason] of serverFailures) problems.push(`isolation ${key}: ${reason}`);
  if (options.latency === false) {
    const skipped = new Map<string, string>();
    for (const c of doc.isolationMatrix ?? []) {
      if (c.status === 'skipped' && !c.verdict && (options.targets?.includes(c.target) || options.scenarios?.includes(c.scenario))) {
        skipped.set(`${c.scenario} @ ${c.target}`, c.reason ?? '');
      }
    }
    for (const [key, reason] of skipped) problems.push(`isolation ${key} skipped: ${reason}`);
  }
  return problems;
}

/** Reports (and with --kill-leftovers stops) what runs that were killed left running. */
export function reportLeftovers(kill: boolean, write: (line: string) => void): void {
  const leftovers = findLeftovers();
  for (const l of leftovers) {
    if (kill) {
      killLeftover(l);
      write(`isobench: stopped a leftover of an earlier run: ${describeLeftover(l)}`);
    } else {
      write(`isobench: leftover of an earlier run still running: ${describeLeftover(l)}; stop it with isobench run --kill-leftovers (or kill -- -${l.record.pgid})`);
    }
  }
}

/**
 * Runs with a listener (the plain printer unless a view supplies its own) and returns the exit code.
 * Lines for the user that come during the run (a results-file fallback) and the failures are
 * written once `afterView` resolves, so they never land inside the live view's frame.
 */
export async function runAndReport(parsed: ParsedRunArgs, listener?: ProgressListener, afterView: () => Promise<void> = async () => {}): Promise<number> {
  let doc: ResultsDocument;
  let outFile: string | undefined;
  const warnings: string[] = [];
  const progress = listener ?? plainProgress();
  try {
    // without a view, targets' own log lines (engine chosen, micro-benchmarks) go to stderr with the progress
    const log = listener ? undefined : (line: string) => process.stderr.write(`  ${line}\n`);
    const options: RunOptions = { ...(log ? { log } : {}), warn: (line) => warnings.push(line), ...parsed.options };
    doc = await runBenchmark(options, (event) => {
      if (event.kind === 'finished') outFile = event.outFile;
      progress(event);
    });
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  if (!listener) {
    process.stdout.write(summaryTable(doc) + '\n');
    const matrix = matrixText(doc);
    if (matrix) process.stdout.write(`\n${matrix}\n`);
    if (outFile) process.stdout.write(`report: ${writeHtmlReport(doc, htmlPathFor(outFile))}\n`);
  }
  await afterView();
  const problems = runFailures(doc, parsed.options);
  for (const line of [...warnings, ...problems]) process.stderr.write(`isobench: ${line}\n`);
  return problems.length ? 1 : 0;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'measure scenarios on targets and write a results document',
  help,
  async run(argv) {
    const parsed = parseRunArgs(argv);
    try {
      parsed.options = await withScenarioFiles(parsed.options);
      checkedPlan(parsed.options);
    } catch (err) {
      if (err instanceof PlanError) throw new UsageError(err.message);
      throw err;
    }
    reportLeftovers(parsed.killLeftovers, (line) => process.stderr.write(`${line}\n`));
    if (!isInteractiveTerminal({ noTui: parsed.noTui })) return runAndReport(parsed);
    const live = startLiveView({ writeHtml: true });
    try {
      return await runAndReport(parsed, live.listener, () => live.waitUntilExit());
    } catch (err) {
      live.stop();
      throw err;
    }
  },
};
