// Writing and reading results documents.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  writeFileAndFolders(doc, file);
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

/**
 * Throws a one-line error when `file` cannot be written: a parent that is a file, a folder in its
 * place, no permission, a read-only or special file system. Creates missing parent folders (as the
 * write would) and leaves no file behind.
 */
export function assertWritable(file: string): void {
  const target = path.resolve(file);
  let dir = path.dirname(target);
  while (!existsSync(dir)) dir = path.dirname(dir);
  if (!statSync(dir).isDirectory()) throw new Error(`cannot write results to '${file}': ${dir} is a file, not a folder`);
  if (existsSync(target) && statSync(target).isDirectory()) throw new Error(`cannot write results to '${file}': it is a folder`);
  const existed = existsSync(target);
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    closeSync(openSync(target, 'a'));
    if (!existed) unlinkSync(target);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot write results to '${file}': ${e.message.split(', ')[0]}`);
  }
}

/** Writes the results; when that fails, writes them to `fallback` instead and says so through warn. */
export function writeResultsOrFallback(doc: ResultsDocument, file: string, fallback: string, warn: (line: string) => void): string {
  try {
    writeFileAndFolders(doc, file);
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    const other = path.resolve(fallback) === path.resolve(file) ? path.join(tmpdir(), path.basename(fallback)) : fallback;
    writeFileAndFolders(doc, other);
    warn(`could not write results to ${file} (${why}); wrote them to ${other} instead`);
    file = other;
  }
  const problems = validateResults(doc);
  if (problems.length) throw new Error(`results written to ${file} do not match the schema: ${problems.slice(0, 3).join('; ')}`);
  return file;
}

function writeFileAndFolders(doc: ResultsDocument, file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
}
