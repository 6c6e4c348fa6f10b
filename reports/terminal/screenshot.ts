// Turns a captured terminal screen (text with SGR colour codes, e.g. `tmux capture-pane -e -p`)
// into a PNG for the README, via headless Chromium:
//   npx tsx reports/terminal/screenshot.ts capture.ansi docs/terminal.png
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../html/browser.ts';
import { escapeHtml } from '../html/page.ts';

// the basic ANSI colours as a light-background terminal shows them
const COLOURS = ['#000000', '#c62828', '#1a7f37', '#8d6e00', '#1f5fbf', '#9c27b0', '#00838f', '#bbbbbb'];

export function ansiToHtml(text: string): string {
  let out = '';
  let style = { bold: false, dim: false, inverse: false, fg: undefined as string | undefined };
  let open = false;
  const parts = text.split(/(\u001B\[[0-9;]*m)/);
  for (const part of parts) {
    const m = part.match(/^\u001B\[([0-9;]*)m$/);
    if (!m) {
      if (part) out += escapeHtml(part);
      continue;
    }
    const codes = m[1] === '' ? [0] : m[1].split(';').map(Number);
    for (const c of codes) {
      if (c === 0) style = { bold: false, dim: false, inverse: false, fg: undefined };
      else if (c === 1) style.bold = true;
      else if (c === 2) style.dim = true;
      else if (c === 22) style = { ...style, bold: false, dim: false };
      else if (c === 7) style.inverse = true;
      else if (c === 27) style.inverse = false;
      else if (c >= 30 && c <= 37) style.fg = COLOURS[c - 30];
      else if (c >= 90 && c <= 97) style.fg = COLOURS[c - 90];
      else if (c === 39) style.fg = undefined;
    }
    if (open) out += '</span>';
    const fg = style.fg ?? '#1d2330';
    const css = [
      style.inverse ? `background:${fg};color:#fbfbf8` : `color:${fg}`,
      style.bold ? 'font-weight:700' : '',
      style.dim ? 'opacity:0.6' : '',
    ].filter(Boolean);
    out += `<span style="${css.join(';')}">`;
    open = true;
  }
  if (open) out += '</span>';
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const [input, outPng] = process.argv.slice(2);
  if (!input || !outPng) {
    process.stderr.write('usage: tsx reports/terminal/screenshot.ts CAPTURE.ansi OUT.png\n');
    process.exit(2);
  }
  const body = ansiToHtml(readFileSync(input, 'utf8').replace(/\s+$/, ''));
  const dir = mkdtempSync(join(tmpdir(), 'isobench-term-'));
  try {
    const page = join(dir, 'term.html');
    writeFileSync(
      page,
      `<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#fbfbf8}pre{margin:0;padding:14px 16px;font:14px/1.3 "DejaVu Sans Mono",monospace;display:inline-block}</style><pre>${body}</pre>`,
    );
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    try {
      const p = await browser.newPage({ viewport: { width: 900, height: 400 } });
      await p.goto(`file://${page}`);
      await p.locator('pre').screenshot({ path: outPng });
    } finally {
      await browser.close();
    }
    process.stdout.write(`${outPng}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
