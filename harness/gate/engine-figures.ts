// The engine's deterministic figures per (scenario, route, kvm mode, exit path): VM exits, syscalls
// by number, newly dirtied pages per request and private pages per worker, from the engine server's
// counters in a results document. They count what the engine does, not how fast the machine is,
// so they are compared tightly (an extra exit per request is a regression) and can come from the
// QEMU test bed (npm run test:vm) on a machine with no /dev/kvm.
import type { ResultsDocument, RunRow } from '../../reports/results/types.ts';
import { median } from './stats.ts';

export interface EngineFigures {
  scenario: string;
  route: string;
  target: string;
  /** the engine's exit path: figures from different paths are never compared with each other */
  exitPath: string;
  /** measured requests the means rest on (the smallest over repeats) */
  requests: number;
  /** exits per request but the ones the engine's time/memory-cap timer caused (it fires by wall
   * time, so their number follows the machine's speed, not the code) */
  exitsPerRequest: number;
  /** syscalls at the host per request, by Linux syscall number ("other" for numbers past the table) */
  syscallsPerRequest: Record<string, number>;
  newlyDirtiedPagesPerRequest: number;
  privatePagesPerWorker: number;
}

export type EngineFigureName = 'exitsPerRequest' | 'syscallsPerRequest' | 'newlyDirtiedPagesPerRequest' | 'privatePagesPerWorker';

/**
 * Allowed worsening (absolute, plus a fraction of the baseline) per figure. Exits and syscalls are
 * counts the code decides: a workload's mean moves only when something it does occasionally
 * (a GC, an mmap every few hundred requests) moves, by well under half a call per request, so
 * +0.5 per request catches one extra exit or syscall per request and nothing else. Dirty and
 * private pages depend on allocator and GC timing in the guest: a small band.
 */
export const ENGINE_FIGURE_TOLERANCE: Record<EngineFigureName, { absolute: number; fraction: number }> = {
  exitsPerRequest: { absolute: 0.5, fraction: 0 },
  syscallsPerRequest: { absolute: 0.5, fraction: 0 },
  newlyDirtiedPagesPerRequest: { absolute: 2, fraction: 0.1 },
  privatePagesPerWorker: { absolute: 8, fraction: 0.1 },
};

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function isKvmTarget(target: string): boolean {
  return target.startsWith('kvm-');
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** One row's figures, or undefined when the row did not run or its counters lack them. */
export function figuresOfRow(row: RunRow): EngineFigures | undefined {
  if (row.status !== 'ok' || !isKvmTarget(row.target) || !row.engineCounters) return undefined;
  const c = row.engineCounters as Record<string, unknown>;
  const requests = num(c.requests);
  const exitCounts = c.exitsPerRequest as { mean?: unknown; timerExits?: unknown } | undefined;
  const allExits = num(exitCounts?.mean);
  const exits = allExits === undefined ? undefined : allExits - (num(exitCounts?.timerExits) ?? 0);
  const pages = c.pages as { newlyDirtiedPerRequest?: unknown; privatePerWorker?: unknown } | undefined;
  const dirty = num(pages?.newlyDirtiedPerRequest);
  const priv = num(pages?.privatePerWorker);
  const byNumber = c.syscallsByNumber as Record<string, unknown> | undefined;
  if (!requests || exits === undefined || dirty === undefined || priv === undefined || !byNumber || typeof c.exitPath !== 'string') return undefined;
  const syscallsPerRequest: Record<string, number> = {};
  for (const [nr, count] of Object.entries(byNumber)) {
    const n = num(count);
    if (n) syscallsPerRequest[nr] = round3(n / requests);
  }
  return {
    scenario: row.scenario,
    route: row.route,
    target: row.target,
    exitPath: c.exitPath,
    requests,
    exitsPerRequest: round3(exits),
    syscallsPerRequest,
    newlyDirtiedPagesPerRequest: round3(dirty),
    privatePagesPerWorker: round3(priv),
  };
}

export function figureKey(f: Pick<EngineFigures, 'scenario' | 'route' | 'target' | 'exitPath'>): string {
  return [f.scenario, f.route, f.target, f.exitPath].join('\u0000');
}

/** Figures of every kvm row over repeats: the median of each figure across the documents. */
export function collectEngineFigures(docs: readonly ResultsDocument[]): EngineFigures[] {
  const groups = new Map<string, EngineFigures[]>();
  for (const doc of docs) {
    for (const row of doc.runs) {
      const f = figuresOfRow(row);
      if (!f) continue;
      const key = figureKey(f);
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
  }
  return [...groups.values()].map((all) => {
    const numbers = new Set(all.flatMap((f) => Object.keys(f.syscallsPerRequest)));
    const syscallsPerRequest: Record<string, number> = {};
    for (const nr of [...numbers].sort((a, b) => Number(a) - Number(b))) syscallsPerRequest[nr] = median(all.map((f) => f.syscallsPerRequest[nr] ?? 0));
    return {
      ...all[0],
      requests: Math.min(...all.map((f) => f.requests)),
      exitsPerRequest: median(all.map((f) => f.exitsPerRequest)),
      syscallsPerRequest,
      newlyDirtiedPagesPerRequest: median(all.map((f) => f.newlyDirtiedPagesPerRequest)),
      privatePagesPerWorker: median(all.map((f) => f.privatePagesPerWorker)),
    };
  });
}

export type EngineFigureVerdict = 'pass' | 'regression' | 'improvement' | 'missing' | 'new';

export interface EngineFigureComparison {
  scenario: string;
  route: string;
  target: string;
  exitPath: string;
  /** exitsPerRequest, newlyDirtiedPagesPerRequest, privatePagesPerWorker or syscall:<number> */
  figure: string;
  baseline: number | null;
  current: number | null;
  /** the largest current value that passes */
  allowed: number | null;
  verdict: EngineFigureVerdict;
}

function allowedFor(name: EngineFigureName, base: number): number {
  const t = ENGINE_FIGURE_TOLERANCE[name];
  return round3(base + Math.max(t.absolute, base * t.fraction));
}

function judgeFigure(name: EngineFigureName, base: number, now: number): EngineFigureVerdict {
  const allowed = allowedFor(name, base);
  if (now > allowed) return 'regression';
  if (now < base - (allowed - base)) return 'improvement';
  return 'pass';
}

function flat(f: EngineFigures): Array<{ figure: string; name: EngineFigureName; value: number }> {
  return [
    { figure: 'exitsPerRequest', name: 'exitsPerRequest' as const, value: f.exitsPerRequest },
    ...Object.entries(f.syscallsPerRequest).map(([nr, value]) => ({ figure: `syscall:${nr}`, name: 'syscallsPerRequest' as const, value })),
    { figure: 'newlyDirtiedPagesPerRequest', name: 'newlyDirtiedPagesPerRequest' as const, value: f.newlyDirtiedPagesPerRequest },
    { figure: 'privatePagesPerWorker', name: 'privatePagesPerWorker' as const, value: f.privatePagesPerWorker },
  ];
}

/** Every figure of the baseline against the current ones of the same row and exit path. */
export function compareEngineFigures(baseline: readonly EngineFigures[], current: readonly EngineFigures[]): EngineFigureComparison[] {
  const now = new Map(current.map((f) => [figureKey(f), f]));
  const out: EngineFigureComparison[] = [];
  const ident = (f: EngineFigures) => ({ scenario: f.scenario, route: f.route, target: f.target, exitPath: f.exitPath });
  for (const base of baseline) {
    const cur = now.get(figureKey(base));
    now.delete(figureKey(base));
    if (!cur) {
      out.push({ ...ident(base), figure: 'exitsPerRequest', baseline: base.exitsPerRequest, current: null, allowed: null, verdict: 'missing' });
      continue;
    }
    const curValues = new Map(flat(cur).map((x) => [x.figure, x]));
    for (const b of flat(base)) {
      const c = curValues.get(b.figure);
      curValues.delete(b.figure);
      const value = c?.value ?? 0; // a syscall the row no longer makes
      out.push({ ...ident(base), figure: b.figure, baseline: b.value, current: value, allowed: allowedFor(b.name, b.value), verdict: judgeFigure(b.name, b.value, value) });
    }
    // a syscall number the baseline never saw: compared against 0
    for (const c of curValues.values()) {
      out.push({ ...ident(base), figure: c.figure, baseline: 0, current: c.value, allowed: allowedFor(c.name, 0), verdict: judgeFigure(c.name, 0, c.value) });
    }
  }
  for (const cur of now.values()) {
    out.push({ ...ident(cur), figure: 'exitsPerRequest', baseline: null, current: cur.exitsPerRequest, allowed: null, verdict: 'new' });
  }
  return out;
}
