// `isobench init [DIR]`: a starter scenario file and a tiny server (copies of examples/node-http)
// in DIR, so a user goes from nothing to a first run, then swaps in their own server.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from './command.ts';
import { UsageError } from './command.ts';
import { SCENARIO_FILE_NAME } from '../../scenarios/file/load.ts';

const EXAMPLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/node-http');
const SERVER_FILE = 'server.mjs';

const help = `usage: isobench init [DIR]

Writes a starter ${SCENARIO_FILE_NAME} and a tiny Node http server (${SERVER_FILE}) into DIR
(default: the current directory), then prints the command for a first run. Edit the file's
server.argv, routes and readPaths for your own server (format: scenarios/file/FORMAT.md).
Existing files are never overwritten.`;

/** a scenario name from a folder name: lower case, [a-z0-9._-] */
export function scenarioNameFor(dir: string): string {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '');
  return name.slice(0, 64) || 'my-app';
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write a starter scenario file and a tiny server for your own workload',
  help,
  async run(argv) {
    const args = argv.filter((a) => a !== '--');
    const unknown = args.find((a) => a.startsWith('-'));
    if (unknown) throw new UsageError(`init: unknown flag '${unknown}'`);
    if (args.length > 1) throw new UsageError('init takes at most one directory');
    const dir = path.resolve(args[0] ?? '.');
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`init: ${dir} is not a directory`);
    const scenarioFile = path.join(dir, SCENARIO_FILE_NAME);
    const serverFile = path.join(dir, SERVER_FILE);
    const existing = [scenarioFile, serverFile].filter((f) => existsSync(f));
    if (existing.length) throw new UsageError(`init: ${existing.map((f) => path.relative(process.cwd(), f) || f).join(' and ')} already exist; not overwriting`);
    mkdirSync(dir, { recursive: true });
    const definition = JSON.parse(readFileSync(path.join(EXAMPLE_DIR, SCENARIO_FILE_NAME), 'utf8')) as Record<string, unknown>;
    definition.name = scenarioNameFor(dir);
    definition.description = `${definition.name}: starter server written by isobench init (replace with your own)`;
    writeFileSync(scenarioFile, JSON.stringify(definition, null, 2) + '\n');
    copyFileSync(path.join(EXAMPLE_DIR, SERVER_FILE), serverFile);
    const shown = path.relative(process.cwd(), scenarioFile) || scenarioFile;
    process.stdout.write(
      `wrote ${shown} and ${path.relative(process.cwd(), serverFile) || serverFile}\n` +
        `first run:  npx isobench run --scenario ${shown.startsWith('.') || path.isAbsolute(shown) ? shown : `./${shown}`} --target native --requests 200\n` +
        `then point server.argv at your own server, list its routes and what it reads (readPaths).\n`,
    );
    return 0;
  },
};
