// What each target is expected to show for each probe, and why: the table the matrix checks
// verdicts against. A target that promises isolation (Target.expectsIsolation) fails a cell that
// reads `shared`, unless the table says the state is shared by design there; those cells stay
// visible as "shared by design" with the reason, never as a silent pass.
import type { ProbeSpec } from '../../scenarios/scenario.ts';
import type { MatrixCell, ProbeExpectation, ProbeVerdict } from '../../reports/results/types.ts';
import type { Decision } from './verdict.ts';

/** how a target serves requests, as far as isolation goes */
export type IsolationModel = 'long-lived' | 'sandboxed-long-lived' | 'snapshot' | 'fresh-instance';

/** Targets that are neither a long-lived process nor a reset to a snapshot; the rest follow expectsIsolation. */
const FRESH_INSTANCE_TARGETS = new Set(['wasm']);
/** Long-lived, but inside our engine's sandbox, which refuses files outside the app's grants and
 * other processes' clocks in every mode, persist included. */
const SANDBOXED_LONG_LIVED_TARGETS = new Set(['kvm-persist']);

export function isolationModel(target: { name: string; expectsIsolation: boolean }): IsolationModel {
  if (!target.expectsIsolation) return SANDBOXED_LONG_LIVED_TARGETS.has(target.name) ? 'sandboxed-long-lived' : 'long-lived';
  return FRESH_INSTANCE_TARGETS.has(target.name) ? 'fresh-instance' : 'snapshot';
}

const LONG_LIVED = 'one long-lived process serves every request: what a request leaves stays';

/** probe name → model → expectation; probes not listed follow the default for their kind (sandboxed-long-lived: long-lived's) */
const TABLE: Record<string, Partial<Record<IsolationModel, ProbeExpectation>>> = {
  clocks: {
    'long-lived': { verdict: 'shared', reason: "a host process may read any process's CPU-time clock by clock id (pid 1, its parent)" },
    'sandboxed-long-lived': { verdict: 'isolated', reason: "the engine answers only the guest's own clock ids, in every mode" },
  },
  file: {
    'sandboxed-long-lived': { verdict: 'isolated', reason: "the engine's file policy grants no writes outside the app's grants (/tmp included), in every mode" },
  },
  'random-os': {
    'long-lived': { verdict: 'isolated', reason: 'the kernel draws new bytes on every call' },
    'sandboxed-long-lived': { verdict: 'isolated', reason: 'getrandom and /dev/urandom are served by the host on every call' },
    snapshot: { verdict: 'isolated', reason: 'getrandom and /dev/urandom are served by the host on every call, after the freeze' },
    'fresh-instance': { verdict: 'isolated', reason: 'wasi random is served by the host on every call' },
  },
  'random-prng': {
    'long-lived': { verdict: 'isolated', reason: "the generator's state advances with every request" },
    snapshot: {
      verdict: 'shared',
      byDesign: true,
      reason:
        'the runtime seeds its PRNG (random / Math.random) once at startup, before the freeze; every request restarts from that state and draws the same numbers. Only the app can reseed per request (from os.urandom / crypto)',
    },
    'fresh-instance': { verdict: 'isolated', reason: 'each new instance seeds its generator from wasi random' },
  },
  'random-boot': {
    'long-lived': { verdict: 'shared', reason: 'AT_RANDOM and the address layout are fixed at exec for the life of the process' },
    snapshot: {
      verdict: 'shared',
      byDesign: true,
      reason:
        "glibc copies AT_RANDOM into the stack canary and pointer guard at exec, before the freeze, and every request runs in the master's address layout: a running process cannot be re-keyed or re-randomized",
    },
  },
};

export function expectationFor(probe: ProbeSpec, model: IsolationModel): ProbeExpectation {
  // the sandboxed long-lived model is the long-lived one except where the table says otherwise
  const listed = TABLE[probe.name]?.[model] ?? (model === 'sandboxed-long-lived' ? TABLE[probe.name]?.['long-lived'] : undefined);
  if (listed) return listed;
  if (model === 'long-lived' || model === 'sandboxed-long-lived') return { verdict: 'shared', reason: LONG_LIVED };
  return {
    verdict: 'isolated',
    reason: model === 'snapshot' ? 'every request starts from the frozen master and is reset after it' : 'every request gets a new instance',
  };
}

/** The cell's status from the verdict: failed where isolation is promised and the probe read shared (not by design), or the probe errored. */
export function judge(
  base: Pick<MatrixCell, 'scenario' | 'target' | 'probe' | 'description' | 'kind' | 'engine'>,
  decision: Decision | { verdict: Extract<ProbeVerdict, 'not applicable'>; reason: string },
  expected: ProbeExpectation,
  promisesIsolation: boolean,
): MatrixCell {
  const cell: MatrixCell = { ...base, status: 'ok', verdict: decision.verdict, expected, reason: decision.reason };
  if (decision.verdict === 'not applicable') return { ...cell, status: 'skipped' };
  if (decision.verdict === 'failed') return { ...cell, status: 'failed', reason: `probe ${base.probe} errored: ${decision.reason}` };
  if (decision.verdict === 'shared' && promisesIsolation && !(expected.verdict === 'shared' && expected.byDesign)) {
    return { ...cell, status: 'failed', reason: `probe ${base.probe} read shared on ${base.target}, which promises isolation: ${decision.reason}` };
  }
  return cell;
}
