// Writes the README's report screenshot from a results document:
//   npx tsx reports/html/screenshot.ts results/run.json docs/report.png
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readResultsFile } from '../common/load.ts';
import { writeHtmlReport } from './index.ts';
import { chromiumMissingReason, visitReport } from './browser.ts';

const [resultsFile, outPng] = process.argv.slice(2);
if (!resultsFile || !outPng) {
  process.stderr.write('usage: tsx reports/html/screenshot.ts RESULTS.json OUT.png\n');
  process.exit(2);
}
const missing = chromiumMissingReason();
if (missing) {
  process.stderr.write(`${missing}\n`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'isobench-shot-'));
try {
  const html = writeHtmlReport(readResultsFile(resultsFile), join(dir, 'report.html'));
  const visit = await visitReport(html, { screenshot: outPng });
  const problems = [...visit.consoleErrors, ...visit.pageErrors];
  if (problems.length > 0) throw new Error(`the report had errors: ${problems.join('; ')}`);
  process.stdout.write(`${outPng}: ${visit.chartsDrawn} charts\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
