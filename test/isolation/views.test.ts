// The isolation matrix in every view: HTML (cells with evidence), markdown, plain text, and the ink panel (key i).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { renderHtmlReport } from '../../reports/html/index.ts';
import { renderMarkdown } from '../../reports/markdown/index.ts';
import { renderPlainTable } from '../../reports/terminal/plain.ts';
import { ResultsView } from '../../reports/terminal/results-view.tsx';
import { buildFixtureResults } from '../reports/fixtures/fixture-results.ts';
import { fixtureMatrix } from './fixture-matrix.ts';

const doc = { ...buildFixtureResults(), isolationMatrix: fixtureMatrix };
const plain = (frame: string | undefined) => (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');
const settle = () => new Promise((r) => setTimeout(r, 150));

test('HTML: a matrix table per scenario, each cell with its evidence on hover and in <details>', () => {
  const html = renderHtmlReport(doc);
  const section = html.slice(html.indexOf('<section id="isolation-matrix">'));
  assert.ok(section.length > 100, 'the section is there');
  assert.match(section, /<th>probe<\/th><th>native<\/th><th>kvm-pages<\/th><\/tr>/, 'kvm-full did not run: a note, not a column');
  assert.match(section, /<td class="iso tone-failed" title="fd-pipe on kvm-pages: shared[^"]*#1: left tok-4444444; saw tok-3333333"><details><summary>SHARED ✗<\/summary>/);
  assert.match(section, /<summary>shared \(by design\)<\/summary>/);
  assert.match(section, /random-boot<\/b> on kvm-pages is <i>shared by design<\/i>: the canary is copied before the freeze/);
  assert.match(section, /<li><b>kvm-full<\/b>: skipped: \/dev\/kvm is absent<\/li>/);
  assert.match(html, /<a href="#isolation-matrix">isolation matrix<\/a>/);
});

test('markdown and plain text: the same matrix, with failures and by-design cells spelled out', () => {
  const md = renderMarkdown(doc);
  assert.match(md, /\| probe \| native \| kvm-pages \|\n\| --- \| --- \| --- \|\n\| fd-pipe \| shared \| SHARED ✗ \|/);
  assert.match(md, /- \*\*failed\*\* fd-pipe on kvm-pages: probe fd-pipe read shared on kvm-pages/);
  assert.match(md, /- shared by design: random-boot on kvm-pages: the canary is copied before the freeze/);
  const text = renderPlainTable(doc);
  assert.match(text, /isolation: python-wsgi\nprobe\s+native\s+kvm-pages\nfd-pipe\s+shared\s+SHARED ✗/);
  assert.match(text, /clocks\s+n\/a\s+isolated/);
  assert.match(text, /FAILED fd-pipe on kvm-pages/);
});

test('ink: key i opens the matrix panel of the current scenario, i again goes back', async () => {
  const app = render(createElement(ResultsView, { doc, width: 120 }));
  await settle();
  assert.match(plain(app.lastFrame()), /i iso /);
  app.stdin.write('i');
  await settle();
  const frame = plain(app.lastFrame());
  assert.match(frame, /isolation: python-wsgi/);
  assert.match(frame, /fd-pipe\s+shared\s+SHARED ✗/);
  assert.match(frame, /shared by design: random-boot on kvm-pages/);
  app.stdin.write('i');
  await settle();
  assert.doesNotMatch(plain(app.lastFrame()), /isolation: python-wsgi/);
  app.unmount();
  // a matrix-only document (isobench isolation) opens on the matrix
  const only = render(createElement(ResultsView, { doc: { ...doc, runs: [] }, width: 120 }));
  await settle();
  assert.match(plain(only.lastFrame()), /isolation: python-wsgi/);
  only.unmount();
});
