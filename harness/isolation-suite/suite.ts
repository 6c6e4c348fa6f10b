// Runs a scenario's isolation probes against a running server: each probe a few requests on
// fresh connections with new tokens, the answers recorded as evidence, then the verdict
// (verdict.ts) and the cell's status against the target's expectation (expectations.ts).
import { randomInt } from 'node:crypto';
import type { ProbeSpec, Scenario } from '../../scenarios/scenario.ts';
import type { MatrixCell, ProbeObservation } from '../../reports/results/types.ts';
import type { Target } from '../targets/target.ts';
import { getOnce } from '../isolation.ts';
import { decide } from './verdict.ts';
import { expectationFor, isolationModel, judge } from './expectations.ts';

export interface SuiteOptions {
  /** requests per sequential probe (default 4) */
  requests?: number;
  /** concurrent probes: rounds of A+B (default 2), how long A holds and when B starts after A */
  rounds?: number;
  holdMs?: number;
  staggerMs?: number;
  timeoutMs?: number;
  /** probe names to run (default all) */
  only?: string[];
}

export const SUITE_DEFAULTS = { requests: 4, rounds: 2, holdMs: 1500, staggerMs: 400, timeoutMs: 15_000 };

/** "tok-" and 7 hex digits: fits an int32 and an eventfd counter, never 0 or 1 */
export function newToken(): string {
  return `tok-${randomInt(0x1000000, 0x10000000).toString(16)}`;
}

async function ask(baseUrl: string, probe: ProbeSpec, request: number, query: Record<string, string>, timeoutMs: number): Promise<ProbeObservation> {
  const token = query.token;
  const obs: ProbeObservation = { request, ...(token ? { token } : {}) };
  try {
    const { status, body } = await getOnce(`${baseUrl}${probe.path}?${new URLSearchParams(query)}`, timeoutMs);
    if (status !== 200) return { ...obs, error: `status ${status}: ${body.slice(0, 80)}` };
    const answer = JSON.parse(body) as Record<string, unknown>;
    for (const key of ['seen', 'value', 'note', 'error'] as const) {
      const v = answer[key];
      if (typeof v === 'string' && v) obs[key] = v;
    }
    return obs;
  } catch (err) {
    return { ...obs, error: `request failed: ${(err as Error).message}` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** the probe's requests and what each saw */
export async function observe(baseUrl: string, probe: ProbeSpec, options: SuiteOptions = {}): Promise<ProbeObservation[]> {
  const o = { ...SUITE_DEFAULTS, ...options };
  const observations: ProbeObservation[] = [];
  if (probe.kind === 'concurrent') {
    // B must start after A has written and before A lets go: scale both to how long one request
    // takes here (a slow host, an emulated CPU), timed on a read that leaves nothing
    const started = performance.now();
    await ask(baseUrl, probe, -1, { role: 'read' }, o.timeoutMs);
    const oneMs = performance.now() - started;
    const staggerMs = Math.max(o.staggerMs, Math.ceil(3 * oneMs));
    const holdMs = Math.max(o.holdMs, Math.ceil(staggerMs + 5 * oneMs));
    for (let round = 0; round < o.rounds; round++) {
      const a = ask(baseUrl, probe, 2 * round, { token: newToken(), role: 'write', holdMs: String(holdMs) }, o.timeoutMs + holdMs);
      await sleep(staggerMs);
      const b = ask(baseUrl, probe, 2 * round + 1, { token: newToken(), role: 'read' }, o.timeoutMs);
      const [ra, rb] = await Promise.all([a, b]);
      observations.push({ ...ra, role: 'A' }, { ...rb, role: 'B' });
    }
    return observations;
  }
  for (let i = 0; i < o.requests; i++) observations.push(await ask(baseUrl, probe, i, { token: newToken() }, o.timeoutMs));
  return observations;
}

function cellBase(scenario: Scenario, target: Target, probe: ProbeSpec, engine?: string) {
  return { scenario: scenario.name, target: target.name, probe: probe.name, description: probe.description, kind: probe.kind, ...(engine ? { engine } : {}) };
}

export function selectedProbes(scenario: Scenario, only?: string[]): ProbeSpec[] {
  const probes = scenario.probes ?? [];
  return only?.length ? probes.filter((p) => only.includes(p.name)) : probes;
}

/** Every selected probe of the scenario against a running server of the target. */
export async function probeServer(baseUrl: string, scenario: Scenario, target: Target, engine: string | undefined, options: SuiteOptions = {}): Promise<MatrixCell[]> {
  const model = isolationModel(target);
  const cells: MatrixCell[] = [];
  for (const probe of selectedProbes(scenario, options.only)) {
    const base = cellBase(scenario, target, probe, engine);
    const expected = expectationFor(probe, model);
    if ((probe.targets && !probe.targets.includes(target.name)) || probe.notOn?.includes(target.name)) {
      cells.push(judge(base, { verdict: 'not applicable', reason: probe.notApplicable ?? `${probe.name} does not apply to ${target.name}` }, expected, target.expectsIsolation));
      continue;
    }
    const evidence = await observe(baseUrl, probe, options);
    cells.push({ ...judge(base, decide(probe.kind, evidence), expected, target.expectsIsolation), evidence });
  }
  return cells;
}

/** Cells for a target that did not run: skipped (unavailable, cancelled) or failed (its server failed), with the reason. */
export function unprobedCells(scenario: Scenario, target: Target, reason: string, only?: string[], status: 'skipped' | 'failed' = 'skipped'): MatrixCell[] {
  return selectedProbes(scenario, only).map((probe) => ({
    ...cellBase(scenario, target, probe),
    status,
    expected: expectationFor(probe, isolationModel(target)),
    reason,
  }));
}
