// The C per-request client (native/client/perreq.c), the trivial server and the server supervisor
// (native/client/supervise.c), built into native/build/ on demand.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../reports/results/versions.ts';

export const clientBinary = path.join(repoRoot, 'native/build/isobench-client');
export const trivialServerBinary = path.join(repoRoot, 'native/build/isobench-trivial-server');
export const superviseBinary = path.join(repoRoot, 'native/build/isobench-supervise');
const clientSources = path.join(repoRoot, 'native/client');

function stale(binary: string, source: string): boolean {
  return !existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs;
}

/** Builds the client, the trivial server and the supervisor when missing or older than their sources. */
export async function ensureClientBuilt(): Promise<void> {
  const builds: [string, string][] = [[clientBinary, 'perreq.c'], [trivialServerBinary, 'trivial-server.c'], [superviseBinary, 'supervise.c']];
  if (!builds.some(([binary, source]) => stale(binary, path.join(clientSources, source)))) return;
  await new Promise<void>((resolve, reject) => {
    execFile('make', ['-s', '-C', clientSources], { timeout: 120_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`cannot build the per-request client and server supervisor (make -C native/client): ${stderr.trim().split('\n').at(-1) ?? err.message}`));
      else resolve();
    });
  });
}
