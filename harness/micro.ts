// Micro-benchmarks of the engine's primitives (tinybench through koffi): exit round trip, fork,
// reset per mode and dirty-page count, request round trip per mode. Used by `isobench micro`
// and by `isobench run --micro`.
import { Bench, type Task } from 'tinybench';
import type { MicroRow } from '../reports/results/types.ts';
import { Master, guestPath, type ResetMode, type Worker } from '../vm/engine.ts';

export const GROUPS = ['exit', 'fork', 'reset', 'request', 'mem'] as const;
export type Group = (typeof GROUPS)[number];
const DIRTY_COUNTS = [1, 16, 256, 4096];
export const MEM_BYTES = 64 << 20;
const EXIT_LOOP = 1000;
const MEM_LOOP = 200;
/** the per-request memory cap of the `mem` group's capped rows */
const CAP_BYTES = 32 << 20;

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
    if (groups.includes('mem')) rows.push(...(await memRows(master, timeMs, log)));
  } finally {
    master.destroy();
  }
  return { rows, exitPath };
}

/** What guarding memory costs: mprotect (enforced or not, as the engine does it), a host write on
 * the guest's behalf, and a request + reset, each without and with a per-request memory cap. */
async function memRows(master: Master, timeMs: number, log: (s: string) => void): Promise<MicroRow[]> {
  const rows: MicroRow[] = [];
  const capped = Master.create(guestPath('reqs'), { limits: { memBytes: MEM_BYTES, requestTimeUs: 10_000_000, requestDirtyBytes: CAP_BYTES } });
  try {
    capped.runToReady();
    log('mprotect round trips');
    const w = master.fork('persist');
    expectOk(w, 'echo warm');
    const mp = await bench(timeMs, 'mprotect', () => void expectOk(w, `mprotect ${MEM_LOOP}`));
    rows.push(rowFrom(mp, 'mem', 'mprotect of one page (R <-> RW)', 2 * MEM_LOOP, { loop: 2 * MEM_LOOP }));
    for (const [m, cap] of [[master, 'no cap'], [capped, `cap ${CAP_BYTES >> 20} MiB`]] as const) {
      log(`host writes, ${cap}`);
      const wk = m === master ? w : m.fork('persist');
      expectOk(wk, 'echo warm');
      const t = await bench(timeMs, 'rand', () => void expectOk(wk, `rand ${MEM_LOOP}`));
      rows.push(rowFrom(t, 'mem', `host write 256 B (getrandom), ${cap}`, MEM_LOOP, { loop: MEM_LOOP }));
      const wp = m.fork('pages');
      const r = await bench(timeMs, 'request', () => {
        expectOk(wp, 'echo hello');
        wp.reset();
      });
      rows.push(rowFrom(r, 'mem', `trivial request + reset, pages, ${cap}`, 1, { mode: 'pages' }));
      wp.destroy();
      if (wk !== w) wk.destroy();
    }
    w.destroy();
  } finally {
    capped.destroy();
  }
  return rows;
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

