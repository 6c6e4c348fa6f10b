// The C per-request client (native/client/perreq.c), built into native/build/.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../reports/results/versions.ts';

export const clientBinary = path.join(repoRoot, 'native/build/isobench-client');
export const trivialServerBinary = path.join(repoRoot, 'native/build/isobench-trivial-server');
const clientSources = path.join(repoRoot, 'native/client');

function stale(binary: string, source: string): boolean {
  return !existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs;
}

/** Builds the client and the trivial server when missing or older than their sources. */
export async function ensureClientBuilt(): Promise<void> {
  if (!stale(clientBinary, path.join(clientSources, 'perreq.c')) && !stale(trivialServerBinary, path.join(clientSources, 'trivial-server.c'))) return;
  await new Promise<void>((resolve, reject) => {
    execFile('make', ['-s', '-C', clientSources], { timeout: 120_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(`cannot build the per-request client (make -C native/client): ${stderr.trim().split('\n').at(-1) ?? err.message}`));
      else resolve();
    });
  });
}
