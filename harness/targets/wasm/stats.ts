// Per-request instantiation times of the wasm server, summarised like the results' latencies.
import type { LatencySummaryUs } from '../../../reports/results/types.ts';

/** samples kept per series; beyond it the oldest half is dropped (a 10 s run holds far fewer) */
const MAX_SAMPLES = 1 << 20;

export interface InstantiationSummary {
  /** fresh instances created (one per request) since the last reset */
  requests: number;
  /** requests the component failed to answer (trap, no response) */
  failed: number;
  /** whole component instantiation: core modules plus the bindings' per-instance setup */
  instantiateUs?: LatencySummaryUs;
  /** of which inside WebAssembly.Instance (core modules, data segments) */
  coreInstantiateUs?: LatencySummaryUs;
  /** the guest's incoming-handler call on the fresh instance (its work plus host calls) */
  handleUs?: LatencySummaryUs;
}

export function summarize(samples: number[]): LatencySummaryUs | undefined {
  if (samples.length === 0) return undefined;
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: Math.round(sorted[sorted.length - 1]!), mean: Math.round(mean) };
}

export class InstantiationStats {
  #total: number[] = [];
  #core: number[] = [];
  #handle: number[] = [];
  failed = 0;

  record(totalUs: number, coreUs: number): void {
    if (this.#total.length >= MAX_SAMPLES) {
      this.#total = this.#total.slice(MAX_SAMPLES / 2);
      this.#core = this.#core.slice(MAX_SAMPLES / 2);
    }
    this.#total.push(totalUs);
    this.#core.push(coreUs);
  }

  recordHandle(us: number): void {
    if (this.#handle.length >= MAX_SAMPLES) this.#handle = this.#handle.slice(MAX_SAMPLES / 2);
    this.#handle.push(us);
  }

  reset(): void {
    this.#total = [];
    this.#core = [];
    this.#handle = [];
    this.failed = 0;
  }

  summary(): InstantiationSummary {
    const instantiateUs = summarize(this.#total);
    const coreInstantiateUs = summarize(this.#core);
    const handleUs = summarize(this.#handle);
    return {
      requests: this.#total.length,
      failed: this.failed,
      ...(instantiateUs ? { instantiateUs } : {}),
      ...(coreInstantiateUs ? { coreInstantiateUs } : {}),
      ...(handleUs ? { handleUs } : {}),
    };
  }
}
