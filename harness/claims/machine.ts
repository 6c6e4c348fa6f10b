// The machine fact that matters for the claims: what a VM exit costs here, and how many a request takes.
import type { ResultsDocument } from '../../reports/results/types.ts';

export interface MachineFact {
  text: string;
  numbers: Record<string, number | string | null>;
}

/** the micro-benchmark row that measures an exit round trip, if the run has one */
function exitMicro(doc: ResultsDocument): { name: string; meanUs: number } | undefined {
  const rows = doc.micro ?? [];
  const row = rows.find((r) => /exit/i.test(`${r.group} ${r.name}`) && Number.isFinite(r.meanUs));
  return row ? { name: `${row.group}/${row.name}`, meanUs: row.meanUs } : undefined;
}

/** mean exits per request over the engine rows that report them */
function exitsPerRequest(doc: ResultsDocument, targets: readonly string[]): { target: string; mean: number }[] {
  const found: { target: string; mean: number }[] = [];
  for (const row of doc.runs) {
    const mean = row.engineCounters?.exitsPerRequest?.mean;
    if (row.status === 'ok' && targets.includes(row.target) && typeof mean === 'number') {
      found.push({ target: `${row.scenario}/${row.route} ${row.target}`, mean });
    }
  }
  return found;
}

export function machineFact(doc: ResultsDocument, targets: readonly string[]): MachineFact {
  const kvm = doc.machine?.kvm;
  const parts: string[] = [];
  const numbers: Record<string, number | string | null> = {};
  if (!kvm?.present) {
    parts.push('no /dev/kvm on this machine');
  } else {
    const module = kvm.module ?? 'unknown module';
    numbers['kvm module'] = module;
    if (module === 'kvm_pvm') parts.push('KVM is kvm_pvm (software KVM, shadow paging, no VMX/SVM): every VM exit is expensive');
    else if (kvm.nested) parts.push(`KVM is ${module}, nested: VM exits cost far more than on bare metal`);
    else parts.push(`KVM is ${module}${kvm.nested === false ? ', not nested' : ''}`);
  }
  const micro = exitMicro(doc);
  if (micro) {
    numbers['exit round trip µs'] = round(micro.meanUs);
    parts.push(`exit round trip ${round(micro.meanUs)} µs (micro ${micro.name})`);
  } else {
    parts.push('exit cost not measured in this run (no micro-benchmark rows)');
  }
  const exits = exitsPerRequest(doc, targets);
  for (const e of exits) {
    numbers[`${e.target} exits/request`] = round(e.mean);
  }
  if (exits.length > 0) {
    const summary = exits.map((e) => `${e.target} ${round(e.mean)}`).join(', ');
    const cost = micro ? `; × exit cost ≈ ${exits.map((e) => `${Math.round(e.mean * micro.meanUs)} µs`).join(', ')} per request` : '';
    parts.push(`exits per request: ${summary}${cost}`);
  }
  return { text: parts.join('; '), numbers };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
