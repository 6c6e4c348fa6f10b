// isobench's command line: dispatches to the sub-commands in ./commands.
import { commands } from './commands/index.ts';
import { UsageError } from './commands/command.ts';
import { isobenchVersion } from '../reports/results/versions.ts';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: isobench <command> [options]',
    '',
    'Measures what per-request isolation costs: the same HTTP workloads natively, in a KVM sandbox',
    'per reset mode, and on WebAssembly, with p50/p90/p99 side by side.',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'isobench <command> --help   options of a command',
    'isobench --version          version',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) throw new UsageError('missing command (try isobench --help)');
    if (first === '--help' || first === '-h' || first === 'help') {
      process.stdout.write(mainHelp() + '\n');
      return 0;
    }
    if (first === '--version' || first === '-v') {
      process.stdout.write(isobenchVersion() + '\n');
      return 0;
    }
    const command = commands.find((c) => c.name === first);
    if (!command) {
      throw new UsageError(first.startsWith('-') ? `unknown option '${first}' (try isobench --help)` : `unknown command '${first}' (try isobench --help)`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.help + '\n');
      return 0;
    }
    return await command.run(rest);
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0];
    process.stderr.write(`isobench: ${msg}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

process.exit(await main(process.argv.slice(2)));
