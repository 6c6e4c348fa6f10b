// The report page: static HTML for every number (readable without scripts), canvases the
// inlined chart.js fills from the embedded JSON model.
import { formatBytes, formatChange, formatCount, formatPercent, formatRate, formatRatio, formatUs } from '../common/format.ts';
import type { MeasuredTarget, ReportModel, ScenarioReport } from './model.ts';
import type { SweepSection } from '../results/sections.ts';
import { MATRIX_STYLE, matrixSection } from './matrix.ts';

export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON safe inside a <script> element */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<div class="scroll"><table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

/** nested settings as dotted keys, so every value is a plain cell: pinning.server = 1 */
export function flattenSettings(obj: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) out.push(...flattenSettings(v as Record<string, unknown>, key));
    else out.push([key, v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? 'none' : String(v)]);
  }
  return out;
}

function settingsTable(settings: Record<string, unknown>): string {
  const rows = flattenSettings(settings);
  if (rows.length === 0) return '<p class="muted">none recorded</p>';
  return `<table class="settings"><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`;
}

function keyValues(obj: Record<string, unknown>): string {
  const entries = Object.entries(obj ?? {});
  if (entries.length === 0) return '<p class="muted">none recorded</p>';
  return `<dl>${entries
    .map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v === null ? '—' : typeof v === 'object' ? JSON.stringify(v) : v)}</dd>`)
    .join('')}</dl>`;
}

function machineFacts(m: ReportModel['machine']): Record<string, unknown> {
  if (!m) return {};
  const kvm = m.kvm
    ? m.kvm.present
      ? [m.kvm.module ?? 'present', m.kvm.nested ? 'nested' : m.kvm.nested === false ? 'not nested' : '', m.kvm.note ?? ''].filter(Boolean).join(', ')
      : `absent${m.kvm.note ? ` (${m.kvm.note})` : ''}`
    : undefined;
  return {
    CPU: m.cpuModel,
    cores: m.cores,
    memory: typeof m.memoryBytes === 'number' ? formatBytes(m.memoryBytes) : undefined,
    kernel: m.kernel,
    KVM: kvm,
  };
}

function isolationBadge(verdict: string): string {
  const cls = verdict === 'isolated' ? 'good' : verdict === 'failed' ? 'bad' : 'neutral';
  return `<span class="badge ${cls}">${escapeHtml(verdict)}</span>`;
}

function errorsCell(t: MeasuredTarget): string {
  if (t.errorsTotal === 0) return '0';
  const kinds = Object.entries(t.errors)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${escapeHtml(k)} ${n}`)
    .join(', ');
  return `<span class="bad-text">${t.errorsTotal}</span> <span class="muted">(${kinds})</span>`;
}

function numbersTable(s: ScenarioReport): string {
  return table(
    ['target', 'engine · client', 'requests', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'req/s', 'errors', 'isolation', 'p50 ÷ native', 'p99 ÷ native', 'peak RSS'],
    s.measured.map((t) => [
      `<b>${escapeHtml(t.target)}</b>`,
      `${escapeHtml(t.engine ?? '')}<br><span class="muted">${escapeHtml(t.client ?? '')}${t.connections !== undefined ? `, ${escapeHtml(t.connections)} conn` : ''}</span>`,
      escapeHtml(t.requests ?? ''),
      formatUs(t.p50),
      formatUs(t.p90),
      formatUs(t.p99),
      formatUs(t.p999),
      formatUs(t.max),
      formatUs(t.mean),
      formatRate(t.rps),
      errorsCell(t),
      isolationBadge(t.isolation),
      formatRatio(t.ratio.p50),
      formatRatio(t.ratio.p99),
      formatBytes(t.rssPeakBytes),
    ]),
    'numbers',
  );
}

function countersTable(s: ScenarioReport): string {
  const rows = s.measured.filter((t) => t.engineCounters);
  if (rows.length === 0) return '';
  return `<h3>Engine counters</h3>${table(
    ['target', 'mode', 'requests', 'page resets', 'full resets', 'reset p50', 'reset p99', 'new dirty pages / req (mean, max)', 'private pages / worker', 'exits / req', 'worker RSS'],
    rows.map((t) => {
      const c = t.engineCounters!;
      // the engine server's page accounting: pages a worker holds privately (what a pages reset copies back)
      const pages = c.pages as { privatePerWorker?: number } | undefined;
      return [
        `<b>${escapeHtml(t.target)}</b>`,
        escapeHtml(c.mode ?? ''),
        escapeHtml(c.requests ?? ''),
        escapeHtml(c.resets?.pages ?? '—'),
        escapeHtml(c.resets?.full ?? '—'),
        formatUs(c.resetUs?.p50),
        formatUs(c.resetUs?.p99),
        c.dirtyPagesPerRequest ? `${formatCount(c.dirtyPagesPerRequest.mean)}, ${formatCount(c.dirtyPagesPerRequest.max)}` : '—',
        formatCount(pages?.privatePerWorker),
        formatCount(c.exitsPerRequest?.mean),
        formatBytes(c.workerRssBytes),
      ];
    }),
    'numbers',
  )}`;
}

function unmeasuredList(s: ScenarioReport): string {
  if (s.unmeasured.length === 0) return '';
  return `<h3>Not measured</h3><ul class="unmeasured">${s.unmeasured
    .map((u) => `<li><b>${escapeHtml(u.target)}</b> <span class="badge ${u.status === 'failed' ? 'bad' : 'neutral'}">${escapeHtml(u.status)}</span> ${escapeHtml(u.reason)}</li>`)
    .join('')}</ul>`;
}

function logNote(s: ScenarioReport): string {
  if (s.latencyScale !== 'logarithmic' || s.p50Spread === undefined) return '';
  return ` <span class="muted">log scale: p50s differ ${Math.round(s.p50Spread)}× between targets</span>`;
}

function scenarioSection(s: ScenarioReport, index: number): string {
  const title = `${escapeHtml(s.scenario)} <code>${escapeHtml(s.route)}</code>`;
  if (s.measured.length === 0) {
    return `<section class="scenario" id="scenario-${index}"><h2>${title}</h2><p class="notice">No target was measured for this scenario, so there is nothing to chart.</p>${unmeasuredList(s)}</section>`;
  }
  const withSpectrum = s.measured.filter((t) => t.spectrum.length > 0);
  const withoutSpectrum = s.measured.filter((t) => t.spectrum.length === 0);
  const spectrum =
    withSpectrum.length > 0
      ? `<figure class="wide"><figcaption>Latency by percentile (HdrHistogram percentile spectrum)${logNote(s)}</figcaption><div class="chart tall"><canvas data-chart="spectrum" data-scenario="${index}" role="img" aria-label="latency percentile spectrum"></canvas></div>${
          withoutSpectrum.length > 0 ? `<p class="muted">No histogram recorded for ${withoutSpectrum.map((t) => escapeHtml(t.target)).join(', ')}: not in this chart.</p>` : ''
        }</figure>`
      : '<p class="notice">No row of this scenario carried a histogram, so there is no percentile spectrum; the table has the summary percentiles.</p>';
  const ratioNote = s.hasNative ? '' : '<p class="muted">No measured <code>native</code> row in this scenario: ratios are not available.</p>';
  return `<section class="scenario" id="scenario-${index}">
<h2>${title}</h2>
<div class="charts">
${spectrum}
<figure><figcaption>p50 / p90 / p99 by target${logNote(s)}</figcaption><div class="chart"><canvas data-chart="percentiles" data-scenario="${index}" role="img" aria-label="p50 p90 p99 by target"></canvas></div></figure>
<figure><figcaption>Throughput (requests per second)${s.throughputScale === 'logarithmic' ? ' <span class="muted">log scale</span>' : ''}</figcaption><div class="chart"><canvas data-chart="throughput" data-scenario="${index}" role="img" aria-label="throughput by target"></canvas></div></figure>
</div>
<h3>Numbers</h3>
${numbersTable(s)}
${ratioNote}
${countersTable(s)}
${unmeasuredList(s)}
</section>`;
}

function claimsSection(m: ReportModel): string {
  if (m.claims.length === 0) return '';
  const note = m.claimsMachineNote ? `<p class="muted">${escapeHtml(m.claimsMachineNote)}</p>` : '';
  return `<section id="claims"><h2>Claims</h2>${note}${table(
    ['claim', 'verdict', 'numbers', 'machine fact'],
    m.claims.map((c) => {
      const cls = c.verdict === 'holds' ? 'good' : c.verdict === 'does not hold' ? 'bad' : 'neutral';
      const numbers = [c.evidence, c.numbers ? Object.entries(c.numbers).map(([k, v]) => `${k} = ${v ?? '—'}`).join(', ') : ''].filter(Boolean).join('; ');
      return [escapeHtml(c.statement), `<span class="badge ${cls}">${escapeHtml(c.verdict)}</span>`, escapeHtml(numbers), escapeHtml(c.machineFact ?? '')];
    }),
  )}</section>`;
}

function plainNumber(v: number | null, unit?: string): string {
  if (v === null || !Number.isFinite(v)) return '—';
  return `${String(Number(v.toFixed(Math.abs(v) < 10 ? 3 : 1)))}${unit ? ` ${escapeHtml(unit)}` : ''}`;
}

function comparisonSection(m: ReportModel): string {
  const c = m.comparison;
  if (!c) return '';
  const verdictClass = (v: string) => (/regress|fail/i.test(v) ? 'bad' : /improv|pass/i.test(v) ? 'good' : 'neutral');
  return `<section id="comparison"><h2>Comparison with baseline</h2>
<p>${c.baselineFile ? `Baseline <code>${escapeHtml(c.baselineFile)}</code>. ` : ''}${c.verdict ? `Verdict: <span class="badge ${verdictClass(c.verdict)}">${escapeHtml(c.verdict)}</span>` : ''}</p>
${table(
  ['scenario', 'target', 'metric', 'baseline', 'current', 'change', 'verdict'],
  c.rows.map((r) => [
    escapeHtml([r.scenario, r.route].filter(Boolean).join(' ')),
    escapeHtml(r.target ?? ''),
    escapeHtml(r.metric),
    plainNumber(r.baseline, r.unit),
    plainNumber(r.current, r.unit),
    formatChange(r.change),
    `<span class="badge ${verdictClass(r.verdict)}">${escapeHtml(r.verdict)}</span>`,
  ]),
  'numbers',
)}</section>`;
}

function sweepSection(sweeps: SweepSection[]): string {
  return sweeps
    .map(
      (s, i) => `<section id="sweep-${i}"><h2>Reset-threshold sweep${s.scenario ? `: ${escapeHtml(s.scenario)}${s.route ? ` <code>${escapeHtml(s.route)}</code>` : ''}` : ''}${s.target ? ` on ${escapeHtml(s.target)}` : ''}</h2>
<div class="charts"><figure class="wide"><figcaption>p50 / p99 and fraction of full resets by ${escapeHtml(s.parameter ?? 'threshold')}</figcaption><div class="chart tall"><canvas data-chart="sweep" data-sweep="${i}" role="img" aria-label="threshold sweep"></canvas></div></figure></div>
${
  s.recommendedThresholdBytes !== undefined
    ? `<p class="notice">Recommended threshold: <b>${formatBytes(s.recommendedThresholdBytes)}</b>${s.recommendation ? ` — ${escapeHtml(s.recommendation)}` : ''}${s.flags ? `. Server flags: <code>${escapeHtml(s.flags)}</code>` : ''}</p>`
    : s.recommendation
      ? `<p class="notice">No threshold recommended: ${escapeHtml(s.recommendation)}</p>`
      : ''
}
${table(
  ['threshold', 'p50', 'p99', 'full resets', 'reset', 'worker RSS'],
  s.points.map((p) => [
    `${formatBytes(p.thresholdBytes)}${p.thresholdBytes === s.recommendedThresholdBytes ? ' <span class="badge good">recommended</span>' : ''}`,
    formatUs(p.p50Us),
    formatUs(p.p99Us),
    formatPercent(p.fullResetFraction),
    formatUs(p.resetUs),
    formatBytes(p.workerRssBytes),
  ]),
  'numbers',
)}</section>`,
    )
    .join('\n');
}

function microSection(m: ReportModel): string {
  if (m.micro.length === 0) return '';
  return `<section id="micro"><h2>Micro-benchmarks of engine primitives</h2>${table(
    ['group', 'name', 'parameters', 'mean', 'p50', 'p99', 'samples'],
    m.micro.map((r) => [
      escapeHtml(r.group),
      escapeHtml(r.name),
      escapeHtml(r.params ? Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(', ') : ''),
      formatUs(r.meanUs),
      formatUs(r.p50Us),
      formatUs(r.p99Us),
      escapeHtml(r.samples ?? '—'),
    ]),
    'numbers',
  )}</section>`;
}

const STYLE = `
:root { color-scheme: light; --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#fff; --panel:#f6f7f9; --good:#1a7f37; --bad:#c62828; --accent:#1f5fbf; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1400px; margin: 0 auto; padding: 16px 20px; }
header { border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); } h3 { font-size: 15px; margin: 18px 0 6px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; background: var(--panel); padding: 0 4px; border-radius: 3px; }
.muted { color: var(--muted); } .bad-text { color: var(--bad); font-weight: 600; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px 24px; }
.facts h3 { margin-top: 8px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; } dt { color: var(--muted); } dd { margin: 0; word-break: break-word; }
nav a { margin-right: 12px; color: var(--accent); }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
figure { margin: 0; padding: 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); min-width: 0; }
figure.wide { grid-column: 1 / -1; }
figcaption { font-weight: 600; margin-bottom: 6px; }
.chart { position: relative; height: 260px; } .chart.tall { height: 340px; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
.wide-fact { grid-column: 1 / -1; }
table.settings { width: auto; } table.settings th { background: none; color: var(--muted); font-weight: normal; font-family: ui-monospace, "DejaVu Sans Mono", monospace; } table.settings td { word-break: break-word; }
th { background: var(--panel); font-weight: 600; }
table.numbers td { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.numbers td:nth-child(2) { white-space: normal; min-width: 8em; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; border: 1px solid currentColor; }
.badge.good { color: var(--good); } .badge.bad { color: var(--bad); } .badge.neutral { color: var(--muted); }
.notice { padding: 8px 12px; background: var(--panel); border-left: 3px solid var(--accent); }
ul.unmeasured { padding-left: 18px; } ul.unmeasured li { margin: 2px 0; }
.scroll { overflow-x: auto; }
@media (max-width: 800px) { .charts { grid-template-columns: 1fr; } }
`;

export function renderPage(model: ReportModel, chartJs: string, clientJs: string): string {
  const nav = model.scenarios.map((s, i) => `<a href="#scenario-${i}">${escapeHtml(s.scenario)} ${escapeHtml(s.route)}</a>`).join('');
  const extraNav = [
    model.claims.length > 0 ? '<a href="#claims">claims</a>' : '',
    model.comparison ? '<a href="#comparison">comparison</a>' : '',
    ...model.sweeps.map((_, i) => `<a href="#sweep-${i}">sweep</a>`),
    model.micro.length > 0 ? '<a href="#micro">micro-benchmarks</a>' : '',
    model.isolationMatrix.length > 0 ? '<a href="#isolation-matrix">isolation matrix</a>' : '',
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>isobench report ${escapeHtml(model.createdAt)}</title>
<style>${STYLE}${MATRIX_STYLE}</style>
</head>
<body>
<header>
<h1>isobench report</h1>
<div class="muted">Run of ${escapeHtml(model.createdAt || 'unknown date')}. Every number on this page comes from the run's results document, embedded below.</div>
<nav>${nav}${extraNav}</nav>
</header>
<main>
<div class="facts">
<div><h3>Machine</h3>${keyValues(machineFacts(model.machine))}</div>
<div><h3>Versions</h3>${keyValues(model.versions)}</div>
<div class="wide-fact"><h3>Settings and pinning</h3>${settingsTable(model.settings)}</div>
</div>
${model.scenarios.length === 0 && model.isolationMatrix.length === 0 ? '<p class="notice">This results document has no runs.</p>' : ''}
${model.scenarios.map(scenarioSection).join('\n')}
${matrixSection(model)}
${claimsSection(model)}
${comparisonSection(model)}
${sweepSection(model.sweeps)}
${microSection(model)}
</main>
<script type="application/json" id="isobench-data">${scriptJson(model)}</script>
<script>${chartJs}</script>
<script>${clientJs}</script>
</body>
</html>
`;
}
