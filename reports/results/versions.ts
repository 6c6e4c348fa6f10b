// Versions of every tool a run depends on, as recorded in results (null when absent).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function firstLine(command: string, args: string[], cwd = repoRoot): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: 10_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1' } }, (err, stdout, stderr) => {
      if (err) return resolve(null);
      const line = (stdout || stderr).trim().split('\n')[0]?.trim();
      resolve(line || null);
    });
  });
}

function packageVersion(name: string): string | null {
  try {
    return JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

export function isobenchVersion(): string {
  return JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version;
}

export function pythonPath(): string {
  return process.env.ISOBENCH_PYTHON || '/usr/bin/python3';
}

export async function toolVersions(): Promise<Record<string, string | null>> {
  const [deno, python, commit, dirty, wrk] = await Promise.all([
    firstLine(path.join(repoRoot, 'node_modules/.bin/deno'), ['--version']),
    firstLine(pythonPath(), ['--version']),
    firstLine('git', ['rev-parse', 'HEAD']),
    firstLine('git', ['status', '--porcelain', '--untracked-files=no']),
    firstLine('wrk', ['--version']),
  ]);
  return {
    isobench: isobenchVersion(),
    node: process.version,
    deno: deno?.replace(/^deno\s+/, '') ?? null,
    python: python?.replace(/^Python\s+/, '') ?? null,
    gitCommit: commit ? commit + (dirty ? '-dirty' : '') : null,
    autocannon: packageVersion('autocannon'),
    'hdr-histogram-js': packageVersion('hdr-histogram-js'),
    wrk: wrk?.split(' ').slice(0, 2).join(' ') ?? null,
  };
}
