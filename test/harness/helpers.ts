// Shared by the harness tests: the CLI as a child process, the trivial C server, process counting.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { startServerProcess, findFreePort, type ServerProcess } from '../../harness/process.ts';
import { ensureClientBuilt, trivialServerBinary } from '../../harness/load/client-binary.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], timeoutMs = 120_000, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'harness/cli.ts'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The trivial C server, started the way the harness starts servers. */
export async function startTrivialServer(delayUs = 0): Promise<{ server: ServerProcess; port: number }> {
  await ensureClientBuilt();
  const port = await findFreePort('127.0.0.1');
  const server = await startServerProcess({
    name: 'trivial-server',
    argv: [trivialServerBinary, '--port', String(port), '--delay-us', String(delayUs)],
    env: {},
    cwd: root,
    cpus: null,
    readyUrl: `http://127.0.0.1:${port}/`,
    readyTimeoutMs: 5000,
  });
  return { server, port };
}

/** pids of every process whose command line mentions needle (this test process excluded) */
export function processesMatching(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
