// The `claims` section of a results document (ResultsDocument.claims). Each claim is a superset
// of ClaimRow in reports/results/sections.ts, which the views read.

export type ClaimVerdict = 'holds' | 'partly holds' | 'does not hold' | 'not measured';

/** One measured comparison behind a claim (one scenario/route/target). */
export interface ClaimEvidence {
  scenario: string;
  route: string;
  target: string;
  /** what was compared, e.g. "p50 ÷ native" */
  measure: string;
  /** the numbers: target and native percentiles in µs, and their ratio */
  values: Record<string, number>;
  holds: boolean;
  note?: string;
}

export interface Claim {
  id: string;
  statement: string;
  verdict: ClaimVerdict;
  /** one line with the numbers behind the verdict, or why it was not measured */
  evidence: string;
  /** flat numbers for tables: "<scenario>/<route> <target> <measure>" -> value */
  numbers: Record<string, number | string | null>;
  machineFact: string;
  details: ClaimEvidence[];
  /** rows that could have been evidence but were skipped or failed, with their reason */
  unmeasured: string[];
}

export interface ClaimsSection {
  kind: 'claims';
  version: 1;
  /** a reset target's p50 at most this many times native's counts as "close" */
  closeBound: number;
  /** what the machine says about the cost of isolation (KVM module, exit cost, exits per request) */
  machine: { text: string; numbers: Record<string, number | string | null> };
  claims: Claim[];
}
