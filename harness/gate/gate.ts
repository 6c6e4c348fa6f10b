// A gate over documents already measured: baseline file + this run's repeats -> comparison.
import type { ResultsDocument } from '../../reports/results/types.ts';
import { compare } from './compare.ts';
import { STORED_METRICS } from './baseline.ts';
import { collectEngineFigures, compareEngineFigures, figureKey, type EngineFigures } from './engine-figures.ts';
import { aggregateRepeats, combineOutcomes } from './metrics.ts';
import type { Thresholds } from './thresholds.ts';
import type { BaselineFile, GateComparison } from './types.ts';

/** Engine figures measured elsewhere (the QEMU test bed's results document) and what it is called. */
export interface FigureSource {
  label: string;
  doc: ResultsDocument;
}

const isEngineTarget = (target: string): boolean => target.startsWith('kvm-');

export function gateDocuments(
  baseline: BaselineFile,
  docs: readonly ResultsDocument[],
  thresholds: Thresholds,
  baselineFile?: string,
  figureSources: readonly FigureSource[] = [],
): GateComparison {
  if (docs.length === 0) throw new Error('the gate needs at least one results document');
  const machine = baseline.source.machine as { cpuModel?: unknown } | undefined;
  const comparison = compare({
    baseline: {
      name: baseline.name,
      createdAt: baseline.createdAt,
      repeats: baseline.source.repeats,
      ...(typeof machine?.cpuModel === 'string' ? { cpuModel: machine.cpuModel } : {}),
      ...(baselineFile ? { file: baselineFile } : {}),
      metrics: baseline.metrics,
      rows: baseline.rows,
    },
    current: {
      repeats: docs.length,
      createdAt: docs.map((d) => d.createdAt),
      metrics: aggregateRepeats(docs, STORED_METRICS),
      rows: combineOutcomes(docs),
    },
    thresholds,
  });
  return withEngineFigures(comparison, baseline, docs, figureSources);
}

/** Adds the engine figures and the rule that a gate which compared no engine row fails. */
function withEngineFigures(c: GateComparison, baseline: BaselineFile, docs: readonly ResultsDocument[], figureSources: readonly FigureSource[]): GateComparison {
  const current = new Map<string, EngineFigures>();
  const sources: string[] = [];
  const own = collectEngineFigures(docs);
  if (own.length) sources.push('this run');
  for (const f of own) current.set(figureKey(f), f);
  for (const s of figureSources) {
    const figures = collectEngineFigures([s.doc]);
    if (figures.length) sources.push(s.label);
    for (const f of figures) if (!current.has(figureKey(f))) current.set(figureKey(f), f);
  }
  const rows = compareEngineFigures(baseline.engineFigures ?? [], [...current.values()]);
  const regressions = rows.filter((r) => r.verdict === 'regression').length;
  const baselineHasEngine = baseline.metrics.some((m) => isEngineTarget(m.target)) || (baseline.engineFigures?.length ?? 0) > 0;
  const engineCompared =
    c.rows.some((r) => isEngineTarget(r.target) && r.baseline !== null && r.current !== null) ||
    rows.some((r) => r.baseline !== null && r.current !== null);
  const engineMissing =
    baselineHasEngine && !engineCompared
      ? 'every engine row of the baseline is missing: nothing here ran the engine. Run the test bed first (npm run test:vm writes results/testbed/engine-figures.json) or gate on a machine with /dev/kvm'
      : undefined;
  return {
    ...c,
    verdict: c.verdict === 'regression' || regressions > 0 || engineMissing ? 'regression' : 'pass',
    engineFigures: { sources, rows, regressions },
    ...(engineMissing ? { engineMissing } : {}),
  };
}

/** exit code for a comparison: 0 pass, 1 regression */
export function gateExitCode(c: GateComparison): 0 | 1 {
  return c.verdict === 'pass' ? 0 : 1;
}
