// Reads a results document from disk with errors a person can act on.
import { readFileSync } from 'node:fs';
import { OLDEST_SCHEMA_VERSION, SCHEMA_VERSION, type ResultsDocument } from '../results/types.ts';
import { migrateResults } from '../results/migrate.ts';
import { clampSummary } from '../results/histogram.ts';

export class ResultsFileError extends Error {}

export function parseResults(text: string, source: string): ResultsDocument {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(`${source} is not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ResultsFileError(`${source} is not an isobench results document (expected a JSON object)`);
  }
  const doc = data as Partial<ResultsDocument>;
  if (typeof doc.schemaVersion !== 'number') {
    throw new ResultsFileError(`${source} has no schemaVersion: not an isobench results document`);
  }
  if (doc.schemaVersion > SCHEMA_VERSION) {
    throw new ResultsFileError(
      `${source} has schemaVersion ${doc.schemaVersion}; this isobench reads up to ${SCHEMA_VERSION}: update isobench`,
    );
  }
  if (doc.schemaVersion < OLDEST_SCHEMA_VERSION) {
    throw new ResultsFileError(`${source} has schemaVersion ${doc.schemaVersion}; this isobench reads ${OLDEST_SCHEMA_VERSION} to ${SCHEMA_VERSION}`);
  }
  if (!Array.isArray(doc.runs)) throw new ResultsFileError(`${source} has no "runs" array`);
  for (const [i, run] of doc.runs.entries()) {
    if (typeof run !== 'object' || run === null || typeof run.scenario !== 'string' || typeof run.target !== 'string') {
      throw new ResultsFileError(`${source}: runs[${i}] lacks a scenario or target name`);
    }
  }
  const migrated = migrateResults(doc);
  return {
    ...migrated,
    isolationMatrix: Array.isArray(migrated.isolationMatrix) ? migrated.isolationMatrix : [],
    createdAt: typeof migrated.createdAt === 'string' ? migrated.createdAt : '',
    machine: migrated.machine ?? ({} as ResultsDocument['machine']),
    versions: migrated.versions ?? {},
    settings: migrated.settings ?? {},
    // percentiles above the max (written before they were clamped) read as the max in every view
    runs: (migrated.runs ?? []).map((r) => (r.latencyUs && typeof r.latencyUs === 'object' ? { ...r, latencyUs: clampSummary(r.latencyUs) } : r)),
  } as ResultsDocument;
}

export function readResultsFile(path: string): ResultsDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ResultsFileError(code === 'ENOENT' ? `no such results file: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseResults(text, path);
}
