// An old (schemaVersion 1) results document reads through every reader as version 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResultsFile } from '../../reports/common/load.ts';
import { readResults } from '../../reports/results/writer.ts';
import { migrateResults } from '../../reports/results/migrate.ts';
import { validateResults } from '../../reports/results/schema.ts';
import { SCHEMA_VERSION } from '../../reports/results/types.ts';
import { renderMarkdown } from '../../reports/markdown/index.ts';

const v1File = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'v1-results.json');

test('a v1 document migrates to the current schema, its /probe readings becoming memory cells', () => {
  const original = JSON.parse(readFileSync(v1File, 'utf8'));
  assert.equal(original.schemaVersion, 1);
  const doc = migrateResults(original);
  assert.equal(doc.schemaVersion, SCHEMA_VERSION);
  assert.equal(original.schemaVersion, 1, 'the input is not changed');
  assert.deepEqual(validateResults(doc), []);
  const cells = doc.isolationMatrix as { target: string; probe: string; verdict: string; status: string; migratedFrom?: string; evidence: unknown[] }[];
  // one cell per scenario and target that measured; the skipped wasm row gives none
  assert.deepEqual(cells.map((c) => [c.target, c.probe, c.verdict, c.status]), [
    ['native', 'memory', 'shared', 'ok'],
    ['kvm-pages', 'memory', 'isolated', 'ok'],
  ]);
  assert.ok(cells.every((c) => c.migratedFrom === 'v1 /probe counter' && c.evidence.length === 5));
  assert.deepEqual(doc.runs, original.runs, 'rows are kept as they were');
});

test('both readers (views and gate/claims) migrate', () => {
  for (const doc of [readResultsFile(v1File), readResults(v1File)]) {
    assert.equal(doc.schemaVersion, SCHEMA_VERSION);
    assert.equal(doc.isolationMatrix.length, 2);
    assert.equal(doc.runs.length, 4);
  }
  const md = renderMarkdown(readResultsFile(v1File));
  assert.match(md, /### Isolation: python-wsgi/);
  assert.match(md, /\| memory \| shared \| isolated \|/);
});

test('a v1 reset row whose probe read shared migrates to a failed cell', () => {
  const original = JSON.parse(readFileSync(v1File, 'utf8'));
  original.runs[2].isolation = { verdict: 'shared', samples: [1, 2, 3, 4, 5], expected: 'isolated' };
  const cell = migrateResults(original).isolationMatrix.find((c: { target: string }) => c.target === 'kvm-pages');
  assert.equal(cell.status, 'failed');
  assert.deepEqual(validateResults(migrateResults(original)), []);
});
