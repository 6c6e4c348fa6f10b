// `isobench isolation`: the isolation matrix alone (no latency phase): every scenario's probes on
// every target, each server started once, the matrix printed and written as a results document.
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { PlanError, runBenchmark, type RunOptions } from '../run.ts';
import { plainProgress } from '../progress-printer.ts';
import { SUITE_DEFAULTS } from '../isolation-suite/suite.ts';
import { scenarios as allScenarios } from '../../scenarios/index.ts';
import { runFailures } from './run.ts';
import { Flags } from './flags.ts';
import { matrixText } from '../../reports/terminal/matrix-text.ts';
import { htmlPathFor, writeHtmlReport } from '../../reports/html/index.ts';
import { isExecutable } from '../process.ts';
import path from 'node:path';

/** engine targets run 2 workers, so the concurrent probe has two requests in flight */
const ISOLATION_WORKERS = 2;

const help = `usage: isobench isolation [options]

Runs only the isolation matrix: for each scenario and target, starts the server and runs every
probe (a few requests on fresh connections, each leaving a token; the concurrent probe holds one
request while a second connection reads). Prints probes × targets per scenario and writes a
results document with the matrix (and its evidence) and an HTML report next to it.

  --scenario NAME          scenario (repeatable; default: all)
  --target NAME            target (repeatable; default: all, unavailable ones are skipped columns)
  --probe NAME             probe (repeatable; default: all)
  --requests N             requests per sequential probe (default ${SUITE_DEFAULTS.requests})
  --set KEY=VALUE          scenario setting (engine targets default to workers=${ISOLATION_WORKERS})
  --pin / --no-pin         server on CPU 1, harness on CPU 0 (default: pin when 2+ CPUs)
  --ready-timeout SECONDS  how long a server may take to answer (default 30)
  --kvmserver PATH         upstream kvmserver binary (or env KVMSERVER)
  --wasmtime PATH          wasmtime binary for the wasm target (or env WASMTIME)
  --out FILE.json          results file (default results/isolation-<timestamp>.json)
  --json                   print the matrix cells as JSON instead of the table
  --help                   this text

Verdicts: isolated, shared, n/a (the probe cannot run on that runtime, with why), error (the probe
failed). native and kvm-persist are expected to read shared (kvm-persist: except files and other
processes' clocks, which the sandbox refuses in every mode); on targets that promise isolation
(kvm-pages/full/hybrid, wasm, kvmserver) a shared probe fails the cell, unless the expectation
table (harness/isolation-suite/expectations.ts) lists it as shared by design, with its reason.

Exit status: 0 when no cell failed, 1 when a probe read shared where isolation is promised, a probe
errored, or a target you named could not run; 2 for bad input.`;

const flagSpec = {
  scenario: { type: 'string', multiple: true },
  target: { type: 'string', multiple: true },
  probe: { type: 'string', multiple: true },
  requests: { type: 'string' },
  set: { type: 'string', multiple: true },
  pin: { type: 'boolean' },
  'no-pin': { type: 'boolean' },
  'ready-timeout': { type: 'string' },
  kvmserver: { type: 'string' },
  wasmtime: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
} as const;

function executable(flag: string, file: string): string {
  if (!isExecutable(file)) throw new UsageError(`${flag}: '${file}' is not an executable file`);
  return path.resolve(file);
}

export function parseIsolationArgs(argv: string[]): { options: RunOptions; json: boolean } {
  const flags = new Flags({ command: 'isolation' });
  const { values: v } = flags.parse(argv, flagSpec);
  if (v.pin && v['no-pin']) throw new UsageError('give --pin or --no-pin, not both');
  if (v.out !== undefined && !v.out.endsWith('.json')) throw new UsageError(`--out must name a .json file, got '${v.out}'`);
  const known = [...new Set(allScenarios.flatMap((s) => (s.probes ?? []).map((p) => p.name)))];
  for (const p of v.probe ?? []) if (!known.includes(p)) throw new UsageError(`unknown probe '${p}' (known: ${known.join(', ')})`);
  if (v.kvmserver !== undefined) process.env.KVMSERVER = executable('--kvmserver', v.kvmserver);
  if (v.wasmtime !== undefined) process.env.WASMTIME = executable('--wasmtime', v.wasmtime);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    json: Boolean(v.json),
    options: {
      scenarios: v.scenario,
      targets: v.target,
      latency: false,
      isolation: true,
      suite: { ...(v.probe?.length ? { only: v.probe } : {}), ...(v.requests ? { requests: flags.integer('--requests', v.requests, { max: 100 }) } : {}) },
      pin: !v['no-pin'],
      scenarioSettings: { workers: ISOLATION_WORKERS, ...flags.settings(v.set ?? []) },
      readyTimeoutSec: v['ready-timeout'] === undefined ? undefined : flags.positiveNumber('--ready-timeout', v['ready-timeout']),
      out: v.out ?? path.join('results', `isolation-${stamp}.json`),
    },
  };
}

export const isolationCommand: Command = {
  name: 'isolation',
  summary: 'run only the isolation matrix (probes × targets per scenario) and print it',
  help,
  async run(argv) {
    const { options, json } = parseIsolationArgs(argv);
    let doc;
    try {
      doc = await runBenchmark({ log: (line) => process.stderr.write(`  ${line}\n`), ...options }, plainProgress());
    } catch (err) {
      if (err instanceof PlanError) throw new UsageError(err.message);
      throw err;
    }
    process.stdout.write(json ? `${JSON.stringify(doc.isolationMatrix, null, 2)}\n` : `${matrixText(doc)}\n`);
    if (options.out) process.stdout.write(`results: ${options.out}\nreport: ${writeHtmlReport(doc, htmlPathFor(options.out))}\n`);
    const problems = runFailures(doc, options);
    for (const p of problems) process.stderr.write(`isobench: ${p}\n`);
    return problems.length ? 1 : 0;
  },
};
