// Writing and reading results documents.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResultsDocument } from './types.ts';
import { validateResults } from './schema.ts';
import { migrateResults } from './migrate.ts';

export function defaultResultsPath(createdAt: Date, dir = 'results'): string {
  const stamp = createdAt.toISOString().replace(/[:.]/g, '-');
  return path.join(dir, `run-${stamp}.json`);
}

/** Writes the document; if it does not match the schema, it is still written (nothing is lost) and then this throws. */
export function writeResults(doc: ResultsDocument, file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  const problems = validateResults(doc);
  if (problems.length) throw new Error(`results written to ${file} do not match the schema: ${problems.slice(0, 3).join('; ')}`);
}

export function readResults(file: string): ResultsDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read results ${file}: ${(err as Error).message}`);
  }
  try {
    doc = migrateResults(doc);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const problems = validateResults(doc);
  if (problems.length) throw new Error(`${file} is not an isobench results document: ${problems.slice(0, 3).join('; ')}`);
  return doc as ResultsDocument;
}
