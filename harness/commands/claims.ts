import { writeFile } from 'node:fs/promises';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { evaluateClaims, CLOSE_BOUND } from '../claims/evaluate.ts';
import { claimsMarkdown, claimsText } from '../claims/format.ts';
import { readResultsDocument } from '../gate/documents.ts';
import { Flags } from './flags.ts';

const help = `Usage: isobench claims RESULTS.json [--json] [--markdown FILE]

Check the seed's statements against a run's own numbers:
  1. per-request reset of an unmodified runtime is close to native at p50
     ("close": a reset target's p50 at most ${CLOSE_BOUND}× native's, same scenario and route);
  2. per-request reset shows lower p90, p99 and p99.9 than native for page rendering with
     single-threaded GC (deno-react-ssr);
  3. native has the better p50.
Reset targets: kvm-pages, kvm-full, kvm-hybrid, kvmserver. Each statement is reported as holds,
partly holds (some targets or routes only), does not hold, or not measured (with why), with the
numbers behind it and the machine fact that matters (KVM module, exit cost, exits per request).

  --json           print the claims section as JSON
  --markdown FILE  also write a markdown table to FILE

Exit status: 0 evaluated (whatever the verdicts), 2 bad flags or unreadable results.`;

export const claimsCommand: Command = {
  name: 'claims',
  summary: "check the seed's statements (close to native at p50, lower tail, native p50) against a run",
  help,
  async run(argv) {
    const { values, positionals } = new Flags({ command: 'claims', prefixed: true }).parse(argv, { json: { type: 'boolean' }, markdown: { type: 'string' } }, true);
    if (positionals.length === 0) throw new UsageError('claims: missing RESULTS.json (isobench claims RESULTS.json)');
    if (positionals.length > 1) throw new UsageError(`claims: expected one results file, got ${positionals.length}`);
    let section;
    try {
      section = evaluateClaims(await readResultsDocument(positionals[0]));
    } catch (err) {
      process.stderr.write(`isobench claims: ${(err as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    process.stdout.write(values.json ? `${JSON.stringify(section, null, 2)}\n` : claimsText(section));
    if (values.markdown) {
      try {
        await writeFile(values.markdown, claimsMarkdown(section));
      } catch (err) {
        process.stderr.write(`isobench claims: cannot write ${values.markdown}: ${(err as Error).message}\n`);
        return 2;
      }
    }
    return 0;
  },
};
