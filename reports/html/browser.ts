// Loads a report in headless Debian Chromium (playwright-core): used by the tests and to take
// the README screenshot. Everything the page does is recorded so callers can assert on it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.ISOBENCH_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface CanvasCheck {
  id: string;
  width: number;
  height: number;
  /** distinct RGBA values among sampled pixels: 1 means blank */
  distinctColours: number;
  /** chart.js type of the value axis (y, or x for horizontal bars): linear, logarithmic, ... */
  valueScale?: string;
}

export interface PageVisit {
  consoleErrors: string[];
  pageErrors: string[];
  /** every URL the page requested, the report itself included */
  requests: string[];
  chartsDrawn: number;
  canvases: CanvasCheck[];
  /** tables wider than their box at this viewport (columns cut off behind a scroll bar) */
  overflowingTables: string[];
}

export function chromiumMissingReason(): string | undefined {
  return existsSync(CHROMIUM_PATH) ? undefined : `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set ISOBENCH_CHROMIUM)`;
}

export async function visitReport(htmlPath: string, options: { screenshot?: string; width?: number } = {}): Promise<PageVisit> {
  const profile = mkdtempSync(join(tmpdir(), 'isobench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: options.width ?? 1280, height: 900 },
    offline: false,
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const visit: PageVisit = { consoleErrors: [], pageErrors: [], requests: [], chartsDrawn: 0, canvases: [], overflowingTables: [] };
    page.on('console', (m) => {
      if (m.type() === 'error') visit.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => visit.pageErrors.push(String(e)));
    context.on('request', (r) => visit.requests.push(r.url()));
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    visit.chartsDrawn = Number((await page.getAttribute('html', 'data-charts-drawn')) ?? 0);
    visit.canvases = await page.evaluate(() => {
      const out: { id: string; width: number; height: number; distinctColours: number; valueScale?: string }[] = [];
      const charts = (window as unknown as { Chart?: { getChart(c: HTMLCanvasElement): { config: { options?: { indexAxis?: string } }; scales: Record<string, { type: string }> } | undefined } }).Chart;
      document.querySelectorAll('canvas').forEach((canvas, i) => {
        const ctx = canvas.getContext('2d');
        const seen = new Set<string>();
        if (ctx && canvas.width > 0 && canvas.height > 0) {
          const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
          const step = Math.max(1, Math.floor(data.length / 4 / 20000)) * 4;
          for (let p = 0; p < data.length; p += step) seen.add(`${data[p]},${data[p + 1]},${data[p + 2]},${data[p + 3]}`);
        }
        out.push({
          id: `${canvas.dataset.chart ?? 'canvas'}#${canvas.dataset.scenario ?? canvas.dataset.sweep ?? i}`,
          width: canvas.width,
          height: canvas.height,
          distinctColours: seen.size,
        });
        const chart = charts?.getChart(canvas);
        if (chart) out[out.length - 1]!.valueScale = chart.scales[chart.config.options?.indexAxis === 'y' ? 'x' : 'y']?.type;
      });
      return out;
    });
    visit.overflowingTables = await page.evaluate(() =>
      [...document.querySelectorAll('.scroll')]
        .filter((box) => box.scrollWidth > box.clientWidth + 1)
        .map((box) => `${box.closest('section')?.querySelector('h2')?.textContent ?? 'page'}: ${box.querySelector('th')?.textContent ?? 'table'} (${box.scrollWidth} px in ${box.clientWidth} px)`),
    );
    if (options.screenshot) await page.screenshot({ path: options.screenshot, fullPage: true });
    return visit;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
