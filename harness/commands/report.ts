// `isobench report`: rebuild a view (HTML, markdown or text) from a results document.
import { writeFileSync } from 'node:fs';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { Flags } from './flags.ts';
import { readResultsFile, ResultsFileError } from '../../reports/common/load.ts';
import { htmlPathFor, writeHtmlReport } from '../../reports/html/index.ts';
import { renderMarkdown } from '../../reports/markdown/index.ts';
import { showResults } from '../../reports/terminal/index.ts';

const FORMATS = ['html', 'markdown', 'text'] as const;
type Format = (typeof FORMATS)[number];

const help = `usage: isobench report [--format html|markdown|text] [--out FILE] RESULTS.json

Rebuilds a view of a finished run from its results document alone.

  --format html       one self-contained HTML file with charts, works offline (default);
                      written next to the JSON (results/x.json -> results/x.html) unless --out
  --format markdown   a compact table per scenario for CI job summaries and PR comments;
                      printed to stdout unless --out
  --format text       the interactive results table on a terminal, a plain table otherwise
  --out FILE          where to write (html, markdown)
  --no-tui            with --format text: the plain table even on a terminal
  --help              this text

Exit status: 0 on success, 1 when the results file cannot be read, 2 for bad input.`;

export interface ReportArgs {
  format: Format;
  out?: string;
  noTui: boolean;
  file: string;
}

export function parseReportArgs(argv: string[]): ReportArgs {
  const flags = new Flags({ command: 'report' });
  const { values, positionals } = flags.parse(argv, { format: { type: 'string' }, out: { type: 'string' }, 'no-tui': { type: 'boolean' } }, true);
  const format: Format = values.format === undefined ? 'html' : flags.choice('--format', values.format, FORMATS);
  if (positionals.length === 0) throw new UsageError('report needs a results file: isobench report results/run.json');
  if (positionals.length > 1) throw new UsageError(`report takes one results file, got ${positionals.length}: ${positionals.join(' ')}`);
  if (format === 'text' && values.out !== undefined) throw new UsageError('--out applies to --format html or markdown');
  return { format, out: values.out, noTui: Boolean(values['no-tui']), file: positionals[0]! };
}

export async function runReport(args: ReportArgs, stdout: NodeJS.WriteStream = process.stdout): Promise<number> {
  let doc;
  try {
    doc = readResultsFile(args.file);
  } catch (e) {
    if (e instanceof ResultsFileError) {
      process.stderr.write(`isobench: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  switch (args.format) {
    case 'html': {
      const out = writeHtmlReport(doc, args.out ?? htmlPathFor(args.file));
      stdout.write(`report: ${out}\n`);
      return 0;
    }
    case 'markdown': {
      const md = renderMarkdown(doc);
      if (args.out) {
        writeFileSync(args.out, md);
        stdout.write(`markdown: ${args.out}\n`);
      } else stdout.write(md);
      return 0;
    }
    case 'text':
      await showResults(doc, { noTui: args.noTui, stdout });
      return 0;
  }
}

export const reportCommand: Command = {
  name: 'report',
  summary: 'rebuild the HTML report, markdown summary or results table from a results JSON',
  help,
  run: (argv) => runReport(parseReportArgs(argv)),
};
