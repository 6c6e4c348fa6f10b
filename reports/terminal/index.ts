// Entry points of the terminal view. `run` uses startLiveView; `report --format text` uses showResults.
import { createElement } from 'react';
import { render } from 'ink';
import type { ProgressEvent, ProgressListener } from '../../harness/progress.ts';
import type { ResultsDocument } from '../results/types.ts';
import { formatRate, formatUs } from '../common/format.ts';
import { LiveApp, LiveStore } from './live-app.tsx';
import { ResultsView } from './results-view.tsx';
import { renderPlainTable } from './plain.ts';
import { htmlPathFor, writeHtmlReport } from '../html/index.ts';

export { renderPlainTable } from './plain.ts';

export interface TerminalOptions {
  /** force the plain (non-ink) output, as `--no-tui` does */
  noTui?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** on `finished` with an outFile, also write the HTML report next to the results JSON */
  writeHtml?: boolean;
}

export interface LiveViewHandle {
  listener: ProgressListener;
  /** resolves when the view is done: after `finished` (and the user quit, on a terminal), or after stop() */
  waitUntilExit(): Promise<void>;
  /** end the view early, e.g. when the run threw before `finished` */
  stop(): void;
}

export function isInteractiveTerminal(options: TerminalOptions = {}): boolean {
  const stdout = options.stdout ?? process.stdout;
  return !options.noTui && stdout.isTTY === true && process.env.TERM !== 'dumb';
}

function terminalWidth(stdout: NodeJS.WriteStream): number {
  return Math.max(40, Math.min(stdout.columns || 80, 120));
}

/** one line per finished row, then the table: what a pipe or a CI log gets */
function plainProgressLine(event: ProgressEvent): string | undefined {
  if (event.kind === 'row-done') {
    const r = event.result;
    const name = `${event.row.scenario} ${event.row.route} ${event.row.target}`;
    if (r.status !== 'ok') return `${name}: ${r.status}: ${r.reason ?? 'no reason given'}`;
    return `${name}: done  ${formatRate(r.rps)} req/s  p50 ${formatUs(r.latencyUs?.p50)}  p99 ${formatUs(r.latencyUs?.p99)}`;
  }
  if (event.kind === 'phase' && (event.phase === 'skipped' || event.phase === 'failed')) {
    return `${event.row.scenario} ${event.row.route} ${event.row.target}: ${event.phase}: ${event.reason ?? 'no reason given'}`;
  }
  return undefined;
}

/** writes the HTML report for a finished run; returns the line to show either way */
function htmlReportLine(event: ProgressEvent): string | undefined {
  if (event.kind !== 'finished' || !event.outFile) return undefined;
  try {
    return `report: ${writeHtmlReport(event.results, htmlPathFor(event.outFile))}`;
  } catch (e) {
    return `report: could not write ${htmlPathFor(event.outFile)}: ${(e as Error).message}`;
  }
}

export function startLiveView(options: TerminalOptions = {}): LiveViewHandle {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  const reportLine = (event: ProgressEvent) => (options.writeHtml ? htmlReportLine(event) : undefined);

  if (!isInteractiveTerminal(options)) {
    let done: () => void = () => {};
    const exited = new Promise<void>((resolve) => (done = resolve));
    const reported = new Set<string>();
    return {
      listener(event) {
        const line = plainProgressLine(event);
        // a skipped row may arrive as a phase and as row-done: print it once
        const id = 'row' in event ? `${event.row.scenario}\0${event.row.route}\0${event.row.target}` : '';
        if (line && !reported.has(id)) {
          reported.add(id);
          stdout.write(`${line}\n`);
        }
        if (event.kind === 'finished') {
          stdout.write(`\n${renderPlainTable(event.results)}`);
          if (event.outFile) stdout.write(`results: ${event.outFile}\n`);
          const report = reportLine(event);
          if (report) stdout.write(`${report}\n`);
          done();
        }
      },
      waitUntilExit: () => exited,
      stop: () => done(),
    };
  }

  const store = new LiveStore();
  const interactive = stdin.isTTY === true;
  const instance = render(createElement(LiveApp, { store, interactive, width: terminalWidth(stdout) }), {
    stdout,
    stdin,
    exitOnCtrlC: true,
    patchConsole: true,
  });
  return {
    listener: (event) => {
      if (event.kind === 'finished') {
        const report = reportLine(event);
        store.dispatch(report ? ({ ...event, reportLine: report } as ProgressEvent) : event);
      } else store.dispatch(event);
    },
    waitUntilExit: async () => {
      await instance.waitUntilExit();
    },
    stop: () => instance.unmount(),
  };
}

/**
 * Show a finished results document: the interactive table on a terminal with a keyboard,
 * the plain table otherwise. Resolves when the user quits (or at once for plain output).
 */
export async function showResults(doc: ResultsDocument, options: TerminalOptions = {}): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  if (!isInteractiveTerminal(options) || stdin.isTTY !== true) {
    stdout.write(renderPlainTable(doc, stdout.isTTY ? terminalWidth(stdout) : undefined));
    return;
  }
  const instance = render(createElement(ResultsView, { doc, width: terminalWidth(stdout) }), { stdout, stdin, exitOnCtrlC: true });
  await instance.waitUntilExit();
}
