// The self-contained HTML report: chart.js and the data inlined, nothing fetched, works offline.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultsDocument } from '../results/types.ts';
import { buildReportModel } from './model.ts';
import { renderPage } from './page.ts';

const require = createRequire(import.meta.url);

function chartJsSource(): string {
  // the UMD build defines a global Chart; the package's exports map does not list it, so find it beside the main entry
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

function clientSource(): string {
  return readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'client.browser.js'), 'utf8');
}

export function renderHtmlReport(doc: ResultsDocument): string {
  return renderPage(buildReportModel(doc), chartJsSource(), clientSource());
}

/** writes the report and returns its path */
export function writeHtmlReport(doc: ResultsDocument, outPath: string): string {
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, renderHtmlReport(doc));
  return outPath;
}

/** results/run-1.json → results/run-1.html */
export function htmlPathFor(resultsPath: string): string {
  const ext = extname(resultsPath);
  return join(dirname(resultsPath), `${basename(resultsPath, ext === '.json' ? ext : '')}.html`);
}
