// Baseline files: baselines/<name>.json, made from one or more results documents.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultsDocument } from '../../reports/results/types.ts';
import { aggregateRepeats, combineOutcomes } from './metrics.ts';
import { collectEngineFigures, figureKey, type EngineFigures } from './engine-figures.ts';
import type { BaselineFile, BaselineRunOptions, GateMetricName } from './types.ts';
import { BASELINE_FORMAT_VERSION } from './types.ts';

/** every metric is stored; thresholds choose what a gate compares */
export const STORED_METRICS: readonly GateMetricName[] = ['p50', 'p90', 'p99', 'p999', 'rps'];

export const BASELINES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../baselines');

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkBaselineName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw new Error(`baseline name "${name}" must be 1-64 of letters, digits, '.', '_' or '-'`);
}

/** A name resolves to baselines/<name>.json; anything with a slash or ending in .json is a path. */
export function baselinePath(nameOrFile: string): string {
  if (nameOrFile.includes('/') || nameOrFile.endsWith('.json')) return path.resolve(nameOrFile);
  checkBaselineName(nameOrFile);
  return path.join(BASELINES_DIR, `${nameOrFile}.json`);
}

export function makeBaseline(name: string, docs: readonly ResultsDocument[], runOptions: BaselineRunOptions): BaselineFile {
  if (docs.length === 0) throw new Error('a baseline needs at least one results document');
  const first = docs[0];
  return {
    kind: 'isobench-baseline',
    formatVersion: BASELINE_FORMAT_VERSION,
    name,
    createdAt: new Date().toISOString(),
    source: {
      repeats: docs.length,
      createdAt: docs.map((d) => d.createdAt),
      machine: first.machine,
      versions: first.versions,
      settings: first.settings,
    },
    runOptions,
    metrics: aggregateRepeats(docs, STORED_METRICS),
    rows: combineOutcomes(docs),
    engineFigures: collectEngineFigures(docs),
  };
}

/** The baseline with the engine figures of `docs` (e.g. the test bed's run) replacing those of the
 * same row and exit path; the rest are kept. */
export function withFigures(baseline: BaselineFile, docs: readonly ResultsDocument[]): { baseline: BaselineFile; figures: EngineFigures[] } {
  const figures = collectEngineFigures(docs);
  const replaced = new Set(figures.map(figureKey));
  const kept = (baseline.engineFigures ?? []).filter((f) => !replaced.has(figureKey(f)));
  return { baseline: { ...baseline, engineFigures: [...kept, ...figures] }, figures };
}

export async function writeBaseline(file: string, baseline: BaselineFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(baseline, null, 2)}\n`);
}

/** Read and check a baseline; throws Error with a one-line message when missing or malformed. */
export async function readBaseline(file: string): Promise<BaselineFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `baseline ${file} does not exist (make one with: isobench baseline save)` : `cannot read baseline ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`baseline ${file} is not valid JSON`);
  }
  const b = data as Partial<BaselineFile>;
  if (b?.kind !== 'isobench-baseline' || !Array.isArray(b.metrics) || !Array.isArray(b.rows)) {
    throw new Error(`${file} is not an isobench baseline (expected kind "isobench-baseline" with metrics and rows)`);
  }
  if (b.formatVersion !== BASELINE_FORMAT_VERSION) {
    throw new Error(`baseline ${file} has format version ${String(b.formatVersion)}; this isobench reads ${BASELINE_FORMAT_VERSION} (save it again)`);
  }
  for (const m of b.metrics) {
    if (typeof m?.median !== 'number' || !Array.isArray(m.values) || typeof m.metric !== 'string') {
      throw new Error(`baseline ${file} has a malformed metric entry`);
    }
  }
  return b as BaselineFile;
}
