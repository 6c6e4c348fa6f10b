// `isobench micro`: micro-benchmarks of the engine's primitives (tinybench through koffi):
// exit round trip, fork, reset per mode and dirty-page count, request round trip per mode.
import { Bench, type Task } from 'tinybench';
import path from 'node:path';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { parseFlags, positiveInt } from './flags.ts';
import type { MicroRow, ResultsDocument } from '../../reports/results/types.ts';
import { SCHEMA_VERSION } from '../../reports/results/types.ts';
import { machineFacts } from '../../reports/results/machine.ts';
import { toolVersions } from '../../reports/results/versions.ts';
import { writeResults } from '../../reports/results/writer.ts';
import { Master, kvmAvailable, guestPath, type ResetMode, type Worker } from '../../vm/engine.ts';

const help = `usage: isobench micro [--out FILE] [--time MS] [--only GROUP] [--json]

Micro-benchmarks of the KVM engine, measured with tinybench through the koffi binding:
  exit      guest->host->guest round trip of one hypercall / host-handled syscall / in-guest clock_gettime
  fork      creating a worker VM from a frozen master
  reset     reset time per mode (pages, full, hybrid) after a request dirtied 1/16/256/4096 pages
  request   round trip of a trivial request plus its reset, per mode (persist, pages, full, hybrid)

  --out FILE   results document to write (default results/micro-<timestamp>.json)
  --time MS    measuring time per benchmark (default 300)
  --only GROUP run one group: exit | fork | reset | request
  --json       print the rows as JSON instead of a table
  --help       this text`;

const GROUPS = ['exit', 'fork', 'reset', 'request'] as const;
type Group = (typeof GROUPS)[number];
const DIRTY_COUNTS = [1, 16, 256, 4096];
const MEM_BYTES = 64 << 20;
const EXIT_LOOP = 1000;

function rowFrom(task: Task, group: string, name: string, divisor = 1, params?: MicroRow['params']): MicroRow {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`benchmark ${name} did not complete (${r.state}${'error' in r ? `: ${String(r.error)}` : ''})`);
  const toUs = (ms: number) => (ms * 1000) / divisor;
  return {
    group,
    name,
    meanUs: round(toUs(r.latency.mean)),
    p50Us: round(toUs(r.latency.p50 ?? r.latency.mean)),
    p99Us: round(toUs(r.latency.p99 ?? r.latency.max)),
    samples: r.latency.samplesCount,
    ...(params ? { params } : {}),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function expectOk(w: Worker, input: string): number {
  const r = w.runRequest(input);
  if (r.status !== 'ok') throw new Error(`request '${input}' ended ${r.status}: ${r.error ?? ''}`);
  return r.dirtyPages;
}

async function bench(timeMs: number, name: string, fn: () => void, hooks: { beforeEach?: () => void; afterEach?: () => void } = {}): Promise<Task> {
  const b = new Bench({ time: timeMs, iterations: 10, warmup: true, warmupIterations: 3, warmupTime: 20 } as ConstructorParameters<typeof Bench>[0]);
  b.add(name, fn, hooks);
  await b.run();
  return b.tasks[0]!;
}

export async function runMicro(groups: readonly Group[], timeMs: number, log: (s: string) => void): Promise<{ rows: MicroRow[]; exitPath: string }> {
  const rows: MicroRow[] = [];
  const master = Master.create(guestPath('reqs'), { limits: { memBytes: MEM_BYTES, requestTimeUs: 10_000_000 } });
  let exitPath = 'unknown';
  try {
    master.runToReady();
    exitPath = String(master.counters().exitPath ?? 'unknown');
    if (groups.includes('exit')) {
      log('exit round trips');
      const w = master.fork('persist');
      expectOk(w, 'echo warm');
      const cases: [string, string][] = [
        [`nop ${EXIT_LOOP}`, 'hypercall (out to the syscall port)'],
        [`sys ${EXIT_LOOP}`, 'host-handled syscall (getppid)'],
        [`clock ${EXIT_LOOP}`, 'in-guest clock_gettime (no exit)'],
      ];
      for (const [input, name] of cases) {
        const t = await bench(timeMs, name, () => void expectOk(w, input));
        rows.push(rowFrom(t, 'exit', name, EXIT_LOOP, { loop: EXIT_LOOP }));
      }
      const base = await bench(timeMs, 'empty request', () => void expectOk(w, 'echo x'));
      rows.push(rowFrom(base, 'exit', 'trivial request, persist, no reset (3 exits)', 1));
      w.destroy();
    }
    if (groups.includes('fork')) {
      log('fork');
      const made: Worker[] = [];
      const t = await bench(timeMs, 'fork', () => void made.push(master.fork('pages')), {
        afterEach: () => made.splice(0).forEach((w) => w.destroy()),
      });
      made.splice(0).forEach((w) => w.destroy());
      rows.push(rowFrom(t, 'fork', 'fork worker (VM + vCPU + private mapping)'));
    }
    if (groups.includes('reset')) {
      for (const mode of ['pages', 'full', 'hybrid'] as const) {
        for (const pages of DIRTY_COUNTS) {
          log(`reset ${mode} ${pages} pages`);
          const w = master.fork(mode);
          let dirty = 0;
          const t = await bench(timeMs, `${mode}/${pages}`, () => void w.reset(), {
            beforeEach: () => {
              dirty = expectOk(w, `dirty ${pages}`);
            },
          });
          const applied = w.counters() as { resets?: { pages: number; full: number } };
          rows.push(
            rowFrom(t, 'reset', `reset ${mode}`, 1, {
              mode,
              dirtyPages: pages,
              dirtyPagesMeasured: dirty,
              appliedPages: applied.resets?.pages ?? 0,
              appliedFull: applied.resets?.full ?? 0,
            }),
          );
          w.destroy();
        }
      }
    }
    if (groups.includes('request')) {
      for (const mode of ['persist', 'pages', 'full', 'hybrid'] as ResetMode[]) {
        log(`request ${mode}`);
        const w = master.fork(mode);
        const t = await bench(timeMs, mode, () => {
          expectOk(w, 'echo hello');
          w.reset();
        });
        rows.push(rowFrom(t, 'request', `trivial request + reset, ${mode}`, 1, { mode }));
        w.destroy();
      }
    }
  } finally {
    master.destroy();
  }
  return { rows, exitPath };
}

export function microTable(rows: MicroRow[]): string {
  const header = ['group', 'benchmark', 'params', 'mean µs', 'p50 µs', 'p99 µs', 'samples'];
  const body = rows.map((r) => [
    r.group,
    r.name,
    r.params ? Object.entries(r.params).filter(([k]) => k === 'dirtyPages' || k === 'dirtyPagesMeasured' || k === 'loop').map(([k, v]) => `${k}=${v}`).join(' ') : '',
    r.meanUs.toFixed(2),
    (r.p50Us ?? r.meanUs).toFixed(2),
    (r.p99Us ?? r.meanUs).toFixed(2),
    String(r.samples),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export const microCommand: Command = {
  name: 'micro',
  summary: 'micro-benchmarks of the KVM engine (exit, fork, reset per mode, request round trip)',
  help,
  async run(argv) {
    const { values } = parseFlags(argv, {
      out: { type: 'string' },
      time: { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      console.log(help);
      return 0;
    }
    const timeMs = values.time ? positiveInt('--time', values.time, 600_000) : 300;
    let groups: readonly Group[] = GROUPS;
    if (values.only) {
      if (!(GROUPS as readonly string[]).includes(values.only)) throw new UsageError(`--only must be one of ${GROUPS.join(', ')}, got '${values.only}'`);
      groups = [values.only as Group];
    }
    const kvm = kvmAvailable();
    if (!kvm.ok) {
      console.error(`isobench micro: skipped: ${kvm.reason}`);
      return 1;
    }
    const createdAt = new Date();
    const { rows, exitPath } = await runMicro(groups, timeMs, (s) => process.stderr.write(`  ${s}\n`));
    const doc: ResultsDocument = {
      schemaVersion: SCHEMA_VERSION,
      createdAt: createdAt.toISOString(),
      machine: machineFacts(),
      versions: await toolVersions(),
      settings: { command: 'micro', timeMs, groups, guestMemBytes: MEM_BYTES, exitPath, dirtyTracking: 'kvm-dirty-log (manual protect) + host bitmap' },
      runs: [],
      micro: rows,
    };
    const out = values.out ?? path.join('results', `micro-${createdAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeResults(doc, out);
    console.log(values.json ? JSON.stringify(rows, null, 2) : microTable(rows));
    console.log(`\nexit path: ${exitPath}; results: ${out}`);
    return 0;
  },
};
