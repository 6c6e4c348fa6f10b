// The seed's statements, checked against one run's own numbers. Every verdict names the rows
// and numbers behind it; a statement with no rows to judge it is "not measured", with why.
import type { ResultsDocument, RunRow } from '../../reports/results/types.ts';
import { machineFact } from './machine.ts';
import type { Claim, ClaimEvidence, ClaimVerdict, ClaimsSection } from './types.ts';

/** a reset target's p50 within this factor of native's is "close" */
export const CLOSE_BOUND = 1.25;

/** targets that reset the runtime after every request */
export const RESET_TARGETS = ['kvm-pages', 'kvm-full', 'kvm-hybrid', 'kvmserver'] as const;

/** the page-rendering scenario the tail-latency statement is about */
export const PAGE_RENDERING_SCENARIO = 'deno-react-ssr';

/** below this many requests a p99.9 rests on one or two samples */
const MIN_REQUESTS_FOR_P999 = 1000;

const TAIL = ['p90', 'p99', 'p999'] as const;

interface Pair {
  row: RunRow;
  native: RunRow;
}

function measured(row: RunRow): boolean {
  return row.status === 'ok' && row.latencyUs !== undefined && row.latencyUs.p50 > 0;
}

function label(row: Pick<RunRow, 'scenario' | 'route' | 'target'>): string {
  return `${row.scenario}/${row.route} ${row.target}`;
}

/** reset-target rows paired with native of the same scenario+route; the rest are listed as unmeasured */
function pairs(doc: ResultsDocument, scenario?: string): { pairs: Pair[]; unmeasured: string[] } {
  const found: Pair[] = [];
  const unmeasured: string[] = [];
  const inScope = doc.runs.filter((r) => scenario === undefined || r.scenario === scenario);
  for (const row of inScope) {
    if (!(RESET_TARGETS as readonly string[]).includes(row.target)) continue;
    if (!measured(row)) {
      unmeasured.push(`${label(row)}: ${row.status}${row.reason ? ` (${row.reason})` : ''}`);
      continue;
    }
    const natives = inScope.filter((r) => r.target === 'native' && r.scenario === row.scenario && r.route === row.route && measured(r));
    const native = natives.find((r) => r.client === row.client) ?? natives[0];
    if (!native) {
      const nativeRow = inScope.find((r) => r.target === 'native' && r.scenario === row.scenario && r.route === row.route);
      unmeasured.push(`${label(row)}: no native row to compare with${nativeRow ? ` (native ${nativeRow.status}${nativeRow.reason ? `: ${nativeRow.reason}` : ''})` : ''}`);
      continue;
    }
    found.push({ row, native });
  }
  return { pairs: found, unmeasured };
}

function verdictOf(details: ClaimEvidence[]): ClaimVerdict {
  if (details.length === 0) return 'not measured';
  const held = details.filter((d) => d.holds).length;
  if (held === details.length) return 'holds';
  return held === 0 ? 'does not hold' : 'partly holds';
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** "target: why" lines grouped by why, so twelve skipped rows read as one line per reason */
function groupedReasons(unmeasured: string[]): string {
  const byWhy = new Map<string, string[]>();
  for (const line of unmeasured) {
    const m = /^\S+ (\S+): (.*)$/.exec(line);
    const [target, why] = m ? [m[1], m[2]] : [line, ''];
    const list = byWhy.get(why) ?? [];
    if (!list.includes(target)) list.push(target);
    byWhy.set(why, list);
  }
  return [...byWhy].map(([why, targets]) => `${targets.join(', ')}: ${why}`).join('; ');
}

function notMeasuredText(unmeasured: string[], what: string): string {
  return unmeasured.length > 0 ? `not measured: ${groupedReasons(unmeasured)}` : `not measured: this run has no ${what}`;
}

function summarize(details: ClaimEvidence[], describe: (d: ClaimEvidence) => string): string {
  const held = details.filter((d) => d.holds).length;
  return `${held} of ${details.length} hold: ${details.map(describe).join('; ')}`;
}

function closeToNative(doc: ResultsDocument, fact: string): Claim {
  const { pairs: found, unmeasured } = pairs(doc);
  const details: ClaimEvidence[] = found.map(({ row, native }) => {
    const ratio = row.latencyUs!.p50 / native.latencyUs!.p50;
    return {
      scenario: row.scenario,
      route: row.route,
      target: row.target,
      measure: 'p50 ÷ native',
      values: { p50Us: row.latencyUs!.p50, nativeP50Us: native.latencyUs!.p50, ratio: round(ratio, 3) },
      holds: ratio <= CLOSE_BOUND,
    };
  });
  const numbers: Claim['numbers'] = { 'close bound (×native p50)': CLOSE_BOUND };
  for (const d of details) numbers[`${d.scenario}/${d.route} ${d.target} p50 ÷ native`] = d.values.ratio;
  return {
    id: 'reset-close-to-native-p50',
    statement: `Per-request reset of an unmodified runtime is close to native at p50 (close: p50 at most ${CLOSE_BOUND}× native's, same scenario and route, same run).`,
    verdict: verdictOf(details),
    evidence:
      details.length === 0
        ? notMeasuredText(unmeasured, 'reset-per-request rows (kvm-pages, kvm-full, kvm-hybrid, kvmserver) with a native row')
        : summarize(details, (d) => `${d.scenario}/${d.route} ${d.target} ${d.values.ratio}× (${Math.round(d.values.p50Us)} vs ${Math.round(d.values.nativeP50Us)} µs)`),
    numbers,
    machineFact: fact,
    details,
    unmeasured,
  };
}

/** the single-threaded-GC setting of the page-rendering rows, wherever the run recorded it */
function singleThreadedGc(doc: ResultsDocument, rows: RunRow[]): boolean | undefined {
  const look = (v: unknown, depth: number): boolean | undefined => {
    if (typeof v !== 'object' || v === null || depth > 3) return undefined;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'singleThreadedGc' && typeof x === 'boolean') return x;
      const inner = look(x, depth + 1);
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  for (const row of rows) {
    const { latencyUs: _l, histogram: _h, engineCounters: _e, isolation: _i, ...rest } = row;
    const found = look(rest, 0);
    if (found !== undefined) return found;
  }
  const settings = doc.settings as Record<string, unknown>;
  const scoped = settings?.scenarios as Record<string, unknown> | undefined;
  return look(scoped?.[PAGE_RENDERING_SCENARIO], 0) ?? look(settings, 0);
}

function lowerTailForPageRendering(doc: ResultsDocument, fact: string): Claim {
  const { pairs: found, unmeasured } = pairs(doc, PAGE_RENDERING_SCENARIO);
  const statement = `Per-request reset shows lower p90, p99 and p99.9 than native for page rendering with single-threaded GC (${PAGE_RENDERING_SCENARIO}).`;
  const gc = singleThreadedGc(
    doc,
    doc.runs.filter((r) => r.scenario === PAGE_RENDERING_SCENARIO),
  );
  if (gc === false && found.length > 0) {
    return {
      id: 'reset-lower-tail-page-rendering',
      statement,
      verdict: 'not measured',
      evidence: `not measured: this run used multi-threaded GC for ${PAGE_RENDERING_SCENARIO} (the statement is about single-threaded GC)`,
      numbers: {},
      machineFact: fact,
      details: [],
      unmeasured: found.map((p) => `${label(p.row)}: GC was not single-threaded`),
    };
  }
  const details: ClaimEvidence[] = found.map(({ row, native }) => {
    const values: Record<string, number> = {};
    let holds = true;
    for (const m of TAIL) {
      const own = row.latencyUs![m];
      const ref = native.latencyUs![m];
      values[`${m}Us`] = own;
      values[`native${m[0].toUpperCase()}${m.slice(1)}Us`] = ref;
      values[`${m}Ratio`] = round(own / ref, 3);
      if (!(own < ref)) holds = false;
    }
    const few = Math.min(row.requests ?? Infinity, native.requests ?? Infinity);
    return {
      scenario: row.scenario,
      route: row.route,
      target: row.target,
      measure: 'p90/p99/p99.9 ÷ native',
      values,
      holds,
      ...(few < MIN_REQUESTS_FOR_P999 ? { note: `p99.9 rests on ${few} requests (fewer than ${MIN_REQUESTS_FOR_P999})` } : {}),
    };
  });
  const numbers: Claim['numbers'] = {};
  for (const d of details) {
    for (const m of TAIL) numbers[`${d.scenario}/${d.route} ${d.target} ${m} ÷ native`] = d.values[`${m}Ratio`];
  }
  const gcNote = gc === undefined && details.length > 0 ? ' (GC setting not recorded in this run)' : '';
  return {
    id: 'reset-lower-tail-page-rendering',
    statement,
    verdict: verdictOf(details),
    evidence:
      details.length === 0
        ? notMeasuredText(unmeasured, `${PAGE_RENDERING_SCENARIO} reset-per-request rows with a native row`)
        : summarize(
            details,
            (d) =>
              `${d.route} ${d.target} p90 ${d.values.p90Ratio}×, p99 ${d.values.p99Ratio}×, p99.9 ${d.values.p999Ratio}× native${d.note ? ` [${d.note}]` : ''}`,
          ) + gcNote,
    numbers,
    machineFact: fact,
    details,
    unmeasured,
  };
}

function nativeBetterP50(doc: ResultsDocument, fact: string): Claim {
  const { pairs: found, unmeasured } = pairs(doc);
  const details: ClaimEvidence[] = found.map(({ row, native }) => ({
    scenario: row.scenario,
    route: row.route,
    target: row.target,
    measure: 'native p50 < target p50',
    values: { p50Us: row.latencyUs!.p50, nativeP50Us: native.latencyUs!.p50, ratio: round(row.latencyUs!.p50 / native.latencyUs!.p50, 3) },
    holds: native.latencyUs!.p50 < row.latencyUs!.p50,
  }));
  const numbers: Claim['numbers'] = {};
  for (const d of details) {
    numbers[`${d.scenario}/${d.route} native p50 µs`] = d.values.nativeP50Us;
    numbers[`${d.scenario}/${d.route} ${d.target} p50 µs`] = d.values.p50Us;
  }
  return {
    id: 'native-better-p50',
    statement: 'Native has the better (lower) p50 than per-request reset.',
    verdict: verdictOf(details),
    evidence:
      details.length === 0
        ? notMeasuredText(unmeasured, 'reset-per-request rows with a native row')
        : summarize(details, (d) => `${d.scenario}/${d.route} native ${Math.round(d.values.nativeP50Us)} µs vs ${d.target} ${Math.round(d.values.p50Us)} µs`),
    numbers,
    machineFact: fact,
    details,
    unmeasured,
  };
}

/** The claims section for a results document; pure, never throws on a well-formed document. */
export function evaluateClaims(doc: ResultsDocument): ClaimsSection {
  const fact = machineFact(doc, RESET_TARGETS);
  const factText = fact.text;
  return {
    kind: 'claims',
    version: 1,
    closeBound: CLOSE_BOUND,
    machine: fact,
    claims: [closeToNative(doc, factText), lowerTailForPageRendering(doc, factText), nativeBetterP50(doc, factText)],
  };
}
