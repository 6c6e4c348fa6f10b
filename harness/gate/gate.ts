// A gate over documents already measured: baseline file + this run's repeats -> comparison.
import type { ResultsDocument } from '../../reports/results/types.ts';
import { compare } from './compare.ts';
import { STORED_METRICS } from './baseline.ts';
import { aggregateRepeats, combineOutcomes } from './metrics.ts';
import type { Thresholds } from './thresholds.ts';
import type { BaselineFile, GateComparison } from './types.ts';

export function gateDocuments(baseline: BaselineFile, docs: readonly ResultsDocument[], thresholds: Thresholds, baselineFile?: string): GateComparison {
  if (docs.length === 0) throw new Error('the gate needs at least one results document');
  const machine = baseline.source.machine as { cpuModel?: unknown } | undefined;
  return compare({
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
}

/** exit code for a comparison: 0 pass, 1 regression */
export function gateExitCode(c: GateComparison): 0 | 1 {
  return c.verdict === 'pass' ? 0 : 1;
}
