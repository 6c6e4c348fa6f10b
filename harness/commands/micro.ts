// `isobench micro`: micro-benchmarks of the engine's primitives (tinybench through koffi):
// exit round trip, fork, reset per mode and dirty-page count, request round trip per mode.
import path from 'node:path';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { Flags } from './flags.ts';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { SCHEMA_VERSION } from '../../reports/results/types.ts';
import { machineFacts } from '../../reports/results/machine.ts';
import { toolVersions } from '../../reports/results/versions.ts';
import { writeResults } from '../../reports/results/writer.ts';
import { kvmAvailable } from '../../vm/engine.ts';
import { GROUPS, MEM_BYTES, microTable, runMicro, type Group } from '../micro.ts';

const help = `usage: isobench micro [--out FILE] [--time MS] [--only GROUP] [--json]

Micro-benchmarks of the KVM engine, measured with tinybench through the koffi binding:
  exit      guest->host->guest round trip of one hypercall / host-handled syscall / in-guest clock_gettime
  fork      creating a worker VM from a frozen master
  reset     reset time per mode (pages, full, hybrid) after a request dirtied 1/16/256/4096 pages
  request   round trip of a trivial request plus its reset, per mode (persist, pages, full, hybrid)
  mem       mprotect round trip, host write and request + reset without / with a per-request memory cap

  --out FILE   results document to write (default results/micro-<timestamp>.json)
  --time MS    measuring time per benchmark (default 300)
  --only GROUP run one group: exit | fork | reset | request | mem
  --json       print the rows as JSON instead of a table
  --help       this text`;

export const microCommand: Command = {
  name: 'micro',
  summary: 'micro-benchmarks of the KVM engine (exit, fork, reset per mode, request round trip)',
  help,
  async run(argv) {
    const flags = new Flags({ command: 'micro' });
    const { values } = flags.parse(argv, {
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
    const timeMs = values.time ? flags.integer('--time', values.time, { max: 600_000 }) : 300;
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
      isolationMatrix: [],
      micro: rows,
    };
    const out = values.out ?? path.join('results', `micro-${createdAt.toISOString().replace(/[:.]/g, '-')}.json`);
    writeResults(doc, out);
    console.log(values.json ? JSON.stringify(rows, null, 2) : microTable(rows));
    console.log(`\nexit path: ${exitPath}; results: ${out}`);
    return 0;
  },
};
