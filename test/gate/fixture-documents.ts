// FIXTURE results documents for the gate, tune and claims tests: every number here is made up
// to drive a verdict, not measured. They are schema-valid so commands can read them with --from.
import { SCHEMA_VERSION, type EngineCounters, type ResultsDocument, type RunRow } from '../../reports/results/types.ts';

export interface FixtureRow {
  scenario?: string;
  route?: string;
  target: string;
  status?: 'ok' | 'skipped' | 'failed';
  reason?: string;
  /** p50, p90, p99, p999 in µs */
  p?: [number, number, number, number];
  rps?: number;
  requests?: number;
  engineCounters?: EngineCounters;
  extra?: Record<string, unknown>;
}

export function fixtureRow(r: FixtureRow): RunRow {
  const base = { scenario: r.scenario ?? 'python-wsgi', route: r.route ?? 'hello', target: r.target };
  if ((r.status ?? 'ok') !== 'ok') return { ...base, status: r.status!, reason: r.reason ?? 'fixture reason' };
  const [p50, p90, p99, p999] = r.p ?? [100, 150, 300, 500];
  return {
    ...base,
    status: 'ok',
    client: 'per-request',
    connections: 1,
    latencyUs: { p50, p90, p99, p999, max: p999 * 2, mean: p50 * 1.1 },
    histogram: 'FIXTURE-not-a-histogram',
    requests: r.requests ?? 5000,
    durationSec: 2,
    rps: r.rps ?? 1_000_000 / p50,
    errors: {},
    isolation: { verdict: r.target === 'native' ? 'shared' : 'isolated', samples: [1, 1, 1] },
    ...(r.engineCounters ? { engineCounters: r.engineCounters } : {}),
    ...(r.extra ?? {}),
  };
}

export function fixtureDocument(rows: FixtureRow[], extra: Partial<ResultsDocument> = {}): ResultsDocument {
  return {
    schemaVersion: SCHEMA_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    machine: { cpuModel: 'FIXTURE CPU', cores: 2, memoryBytes: 1, kernel: 'FIXTURE', kvm: { present: true, module: 'kvm_pvm', nested: true } },
    versions: { isobench: 'fixture' },
    settings: { fixture: true },
    runs: rows.map(fixtureRow),
    isolationMatrix: [],
    ...extra,
  };
}

/** native and one sandboxed target for a route, the target `factor`× slower at every percentile */
export function pairRows(factor: number, nativeP50 = 200, route = 'hello', target = 'kvm-pages'): FixtureRow[] {
  const n: [number, number, number, number] = [nativeP50, nativeP50 * 1.5, nativeP50 * 3, nativeP50 * 5];
  return [
    { route, target: 'native', p: n },
    { route, target, p: n.map((x) => x * factor) as [number, number, number, number] },
  ];
}
