// Brings an older results document up to the current schemaVersion. Every reader calls it
// (reports/common/load.ts, reports/results/writer.ts readResults), so views, gate and claims
// see one shape. Migrations are pure: the input object is not changed.
//
// v1 → v2: v2 adds `isolationMatrix` (targets × probes per scenario). A v1 document measured one
// probe, the module-level counter at /probe, once per ok row; those readings become `memory`
// cells marked `migratedFrom: "v1 /probe counter"` (one per scenario and target: shared if any of
// its routes read shared). Targets a v1 document skipped or failed get no cell.
import type { MatrixCell, ProbeVerdict, RunRow } from './types.ts';
import { SCHEMA_VERSION } from './types.ts';

type Doc = Record<string, unknown>;

const V1_PROBE = 'v1 /probe counter';

function v1Cells(runs: RunRow[]): MatrixCell[] {
  const cells = new Map<string, MatrixCell>();
  for (const run of runs) {
    const iso = run.isolation;
    if (run.status !== 'ok' || !iso || !Array.isArray(iso.samples)) continue;
    const key = `${run.scenario}\u0000${run.target}`;
    const verdict: ProbeVerdict = iso.verdict === 'failed' ? 'failed' : iso.verdict;
    const expected = iso.expected;
    const promised = expected === 'isolated';
    const evidence = iso.samples.map((v, request) => ({ request, value: String(v) }));
    const cell: MatrixCell = {
      scenario: run.scenario,
      target: run.target,
      probe: 'memory',
      description: 'a module-level counter incremented by each request (v1 documents measured only this)',
      kind: 'carry',
      status: verdict === 'failed' || (promised && verdict === 'shared') ? 'failed' : 'ok',
      verdict,
      ...(expected ? { expected: { verdict: expected, reason: promised ? 'the target resets per request' : 'one process serves every request' } } : {}),
      reason: `${V1_PROBE} on route ${run.route}: ${iso.samples.join(', ')}`,
      evidence,
      migratedFrom: V1_PROBE,
      ...(run.engine ? { engine: run.engine } : {}),
    };
    const prior = cells.get(key);
    // one cell per scenario and target: a route that read shared (or failed) decides it
    if (!prior || (prior.verdict === 'isolated' && verdict !== 'isolated')) cells.set(key, cell);
  }
  return [...cells.values()];
}

function v1ToV2(doc: Doc): Doc {
  const runs = Array.isArray(doc.runs) ? (doc.runs as RunRow[]) : [];
  return { ...doc, schemaVersion: 2, isolationMatrix: v1Cells(runs) };
}

const steps: Record<number, (doc: Doc) => Doc> = { 1: v1ToV2 };

/** The document at SCHEMA_VERSION; throws on a version it has no migration from. Current documents are returned as they are. */
export function migrateResults<T>(doc: T): T {
  let current = doc as unknown as Doc;
  while (typeof current.schemaVersion === 'number' && current.schemaVersion < SCHEMA_VERSION) {
    const step = steps[current.schemaVersion];
    if (!step) throw new Error(`no migration from results schemaVersion ${current.schemaVersion}`);
    current = step(current);
  }
  return current as unknown as T;
}
