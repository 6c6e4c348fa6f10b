// What one measured phase collects, whichever client drives the load: latencies of good responses
// in µs, errors by kind, and a few example error messages.
import { newLatencyHistogram, type LatencyHistogram } from '../../reports/results/histogram.ts';

export type ErrorKind = 'connect' | 'timeout' | 'reset' | 'status' | 'body';

export class LoadRecorder {
  readonly histogram: LatencyHistogram = newLatencyHistogram();
  readonly errors: Record<ErrorKind, number> = { connect: 0, timeout: 0, reset: 0, status: 0, body: 0 };
  readonly errorExamples: string[] = [];
  /** responses with a good status (their latencies are in the histogram) */
  responses = 0;
  /** responses whose body went through the scenario's check */
  checked = 0;
  readonly startedAt = performance.now();

  /** a complete response; only 2xx/3xx latencies count, like autocannon's own accounting */
  response(status: number, latencyUs: number): void {
    if (status < 200 || status >= 400) {
      this.error('status', `status ${status}`);
      return;
    }
    this.responses++;
    this.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
  }

  /** a sampled response's body went through the route's check; a failure counts as a body error */
  checkedBody(status: number, failure: string | null): void {
    this.checked++;
    if (failure && status >= 200 && status < 400) this.error('body', failure);
  }

  error(kind: ErrorKind, example?: string): void {
    this.errors[kind]++;
    if (example && this.errorExamples.length < 5 && !this.errorExamples.includes(`${kind}: ${example}`)) {
      this.errorExamples.push(`${kind}: ${example}`);
    }
  }

  errorCount(): number {
    return Object.values(this.errors).reduce((a, b) => a + b, 0);
  }

  /** error counts without the zero entries */
  nonZeroErrors(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.errors).filter(([, n]) => n > 0));
  }
}
