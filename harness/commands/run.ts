// `isobench run`: measure scenarios × targets and write one results document.
import path from 'node:path';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import type { ClientMode, ResultsDocument } from '../../reports/results/types.ts';
import type { ProgressListener } from '../progress.ts';
import { DEFAULTS, PlanError, runBenchmark, type RunOptions } from '../run.ts';
import { plainProgress } from '../progress-printer.ts';
import { isExecutable } from '../process.ts';
import { summaryTable } from '../summary.ts';
import { matrixText } from '../../reports/terminal/matrix-text.ts';
import { isInteractiveTerminal, startLiveView } from '../../reports/terminal/index.ts';
import { htmlPathFor, writeHtmlReport } from '../../reports/html/index.ts';
import { defaultResultsPath } from '../../reports/results/writer.ts';
import { parseFlags, positiveInt, positiveNumber, settingPairs } from './flags.ts';

const help = `usage: isobench run [options]

Runs every (scenario, route, target) of the plan: starts the server, warms it up, measures it,
probes per-request isolation, and writes one results document.

  --scenario NAME|FILE     scenario to run: a built-in name or a scenario file such as
                           ./myapp/isobench.scenario.json (repeatable; default: every built-in)
  --target NAME            target to run on (repeatable; default: all, unavailable ones are skipped)
  --route NAME             route to measure (repeatable; default: every route of each scenario)
  --duration SECONDS       measured phase length (default ${DEFAULTS.durationSec})
  --requests N             measure N requests instead of a duration
  --warmup N               warm-up requests per route, discarded (default ${DEFAULTS.warmup})
  --connections N          concurrent connections (default ${DEFAULTS.connections})
  --client MODE            keepalive | per-request (default: what each target needs)
  --pin / --no-pin         server on CPU 1, load generator on CPU 0 (default: pin when 2+ CPUs)
  --port N                 fixed server port (default: a free port per server)
  --set KEY=VALUE          scenario setting, e.g. --set delayMs=5 (repeatable)
  --ready-timeout SECONDS  how long a server may take to answer (default ${DEFAULTS.readyTimeoutSec})
  --kvmserver PATH         upstream kvmserver binary for the kvmserver target (or env KVMSERVER)
  --wasmtime PATH          wasmtime binary for the wasm target (or env WASMTIME; else PATH, else V8 via jco)
  --micro                  also run the engine micro-benchmarks (exit, fork, reset, request) into the document
  --no-isolation           do not run the isolation probes after each server's routes (isobench isolation runs only them)
  --out FILE.json          results file (default results/run-<timestamp>.json)
  --no-tui                 plain progress lines and a summary table (no live view)
  --help                   this text

Exit status: 0 when every planned row is ok or skipped because its target is not available,
1 when a row failed (or a scenario or target you named could not run) or an isolation probe read
shared on a target that promises isolation, 2 for bad input.`;

const flagSpec = {
  scenario: { type: 'string', multiple: true },
  target: { type: 'string', multiple: true },
  route: { type: 'string', multiple: true },
  duration: { type: 'string' },
  requests: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  client: { type: 'string' },
  pin: { type: 'boolean' },
  'no-pin': { type: 'boolean' },
  port: { type: 'string' },
  set: { type: 'string', multiple: true },
  'ready-timeout': { type: 'string' },
  out: { type: 'string' },
  kvmserver: { type: 'string' },
  micro: { type: 'boolean' },
  'no-isolation': { type: 'boolean' },
  wasmtime: { type: 'string' },
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
}

export function parseRunArgs(argv: string[]): ParsedRunArgs {
  const { values: v } = parseFlags(argv, flagSpec);
  if (v.duration !== undefined && v.requests !== undefined) throw new UsageError('give --duration or --requests, not both');
  if (v.pin && v['no-pin']) throw new UsageError('give --pin or --no-pin, not both');
  if (v.client !== undefined && v.client !== 'keepalive' && v.client !== 'per-request') {
    throw new UsageError(`--client must be keepalive or per-request, got '${v.client}'`);
  }
  if (v.out !== undefined && !v.out.endsWith('.json')) throw new UsageError(`--out must name a .json file, got '${v.out}'`);
  const warmup = v.warmup === undefined ? undefined : v.warmup === '0' ? 0 : positiveInt('--warmup', v.warmup);
  // targets read these in availability(), which sees no settings: pass them through the environment
  if (v.kvmserver !== undefined) process.env.KVMSERVER = requireExecutable('--kvmserver', v.kvmserver);
  if (v.wasmtime !== undefined) process.env.WASMTIME = requireExecutable('--wasmtime', v.wasmtime);
  const options: RunOptions = {
    scenarios: v.scenario,
    targets: v.target,
    routes: v.route,
    durationSec: v.duration === undefined ? undefined : positiveNumber('--duration', v.duration),
    requests: v.requests === undefined ? undefined : positiveInt('--requests', v.requests),
    warmup,
    connections: v.connections === undefined ? undefined : positiveInt('--connections', v.connections, 1024),
    client: v.client as ClientMode | undefined,
    pin: !v['no-pin'],
    port: v.port === undefined ? undefined : positiveInt('--port', v.port, 65535),
    scenarioSettings: settingPairs(v.set ?? []),
    readyTimeoutSec: v['ready-timeout'] === undefined ? undefined : positiveNumber('--ready-timeout', v['ready-timeout']),
    microTimeMs: v.micro ? MICRO_TIME_MS : undefined,
    isolation: !v['no-isolation'],
    out: v.out,
  };
  return { options, noTui: Boolean(v['no-tui']) };
}

/** Rows that make `run` exit non-zero: failures, and skips of what the user named explicitly. */
export function runFailures(doc: ResultsDocument, options: RunOptions): string[] {
  const problems = doc.runs.filter((r) => r.status === 'failed').map((r) => `${r.scenario} ${r.route} @ ${r.target}: ${r.reason}`);
  const named = (list: string[] | undefined, name: string) => list?.includes(name) ?? false;
  for (const r of doc.runs) {
    if (r.status === 'skipped' && !r.notApplicable && (named(options.scenarios, r.scenario) || named(options.targets, r.target))) {
      problems.push(`${r.scenario} ${r.route} @ ${r.target} skipped: ${r.reason}`);
    }
  }
  problems.push(...matrixFailures(doc, options));
  return problems;
}

/** Isolation cells that make a run exit non-zero: failed cells, and (with no latency rows to say it) skips of a named target. */
export function matrixFailures(doc: ResultsDocument, options: RunOptions): string[] {
  const problems = doc.isolationMatrix.filter((c) => c.status === 'failed' && c.verdict).map((c) => `isolation ${c.scenario} @ ${c.target} ${c.probe}: ${c.reason}`);
  // a server that failed fails every cell with one reason: say it once
  const serverFailures = new Map<string, string>();
  for (const c of doc.isolationMatrix) if (c.status === 'failed' && !c.verdict) serverFailures.set(`${c.scenario} @ ${c.target}`, c.reason ?? '');
  for (const [key, reason] of serverFailures) problems.push(`isolation ${key}: ${reason}`);
  if (options.latency === false) {
    const skipped = new Map<string, string>();
    for (const c of doc.isolationMatrix) {
      if (c.status === 'skipped' && !c.verdict && (options.targets?.includes(c.target) || options.scenarios?.includes(c.scenario))) {
        skipped.set(`${c.scenario} @ ${c.target}`, c.reason ?? '');
      }
    }
    for (const [key, reason] of skipped) problems.push(`isolation ${key} skipped: ${reason}`);
  }
  return problems;
}

/** Runs with a listener (the plain printer unless a view supplies its own) and returns the exit code. */
export async function runAndReport(parsed: ParsedRunArgs, listener?: ProgressListener): Promise<number> {
  let doc: ResultsDocument;
  try {
    // without a view, targets' own log lines (engine chosen, micro-benchmarks) go to stderr with the progress
    const options = listener ? parsed.options : { log: (line: string) => process.stderr.write(`  ${line}\n`), ...parsed.options };
    doc = await runBenchmark(options, listener ?? plainProgress());
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  if (!listener) {
    process.stdout.write(summaryTable(doc) + '\n');
    const matrix = matrixText(doc);
    if (matrix) process.stdout.write(`\n${matrix}\n`);
    if (parsed.options.out !== null) {
      const resultsPath = parsed.options.out ?? defaultResultsPath(new Date(doc.createdAt));
      process.stdout.write(`report: ${writeHtmlReport(doc, htmlPathFor(resultsPath))}\n`);
    }
  }
  const problems = runFailures(doc, parsed.options);
  for (const p of problems) process.stderr.write(`isobench: ${p}\n`);
  return problems.length ? 1 : 0;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'measure scenarios on targets and write a results document',
  help,
  async run(argv) {
    const parsed = parseRunArgs(argv);
    if (!isInteractiveTerminal({ noTui: parsed.noTui })) return runAndReport(parsed);
    const live = startLiveView({ writeHtml: true });
    try {
      const code = await runAndReport(parsed, live.listener);
      await live.waitUntilExit();
      return code;
    } catch (err) {
      live.stop();
      throw err;
    }
  },
};
