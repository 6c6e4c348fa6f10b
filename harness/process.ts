// Server processes under the harness: started detached in their own process group (pinned with
// taskset) under isobench-supervise, which kills the group when the harness dies, even by SIGKILL;
// waited on until they answer HTTP, watched for early death, measured for peak RSS, and stopped as
// a whole group — also when the harness fails or is interrupted. Every group and temporary folder
// is recorded (harness/leftovers.ts) so a later run can report what a killed one left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureClientBuilt, superviseBinary } from './load/client-binary.ts';
import { recordLive } from './leftovers.ts';
import http from 'node:http';
import net from 'node:net';

export class ServerError extends Error {}

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcessOptions {
  /** for messages, e.g. "python-wsgi/native" */
  name: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** taskset CPU list, or null for no pinning */
  cpus: string | null;
  /** any HTTP response from this URL means ready */
  readyUrl: string;
  readyTimeoutMs: number;
  log?(line: string): void;
  signal?: AbortSignal;
}

export interface ServerProcess {
  pid: number;
  /** resolves when the process exits, for whatever reason */
  exited: Promise<ExitInfo>;
  alive(): boolean;
  /** the last lines the server wrote to stderr/stdout */
  outputTail(): string;
  rssPeakBytes(): number | undefined;
  stop(): Promise<void>;
}

// ---- every live process group, so none outlives the harness ----

/** live process groups and temporary folders, each with the remover of its leftover record */
const liveGroups = new Map<number, () => void>();
const liveTempDirs = new Map<string, () => void>();
let handlersInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

export function killAllServers(): void {
  for (const [pgid, forget] of liveGroups) {
    killGroup(pgid, 'SIGKILL');
    forget();
  }
  liveGroups.clear();
  for (const dir of [...liveTempDirs.keys()]) removeTrackedTempDir(dir);
}

/** Puts a detached child's process group under the same guarantee as servers; returns its release. */
export function trackProcessGroup(pgid: number, command = ''): () => void {
  installHandlers();
  liveGroups.set(pgid, recordLive(`group-${pgid}`, { pgid, command }));
  return () => {
    liveGroups.get(pgid)?.();
    liveGroups.delete(pgid);
  };
}

/** A temporary folder removed when its user removes it, when the harness exits or is interrupted,
 * or, if the harness is killed, by the next run's leftover check. */
export function makeTempDir(prefix: string): string {
  installHandlers();
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  liveTempDirs.set(dir, recordLive(`dir-${path.basename(dir)}`, { command: `temporary folder ${dir}`, tempDirs: [dir] }));
  return dir;
}

export function removeTrackedTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  liveTempDirs.get(dir)?.();
  liveTempDirs.delete(dir);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllServers);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAllServers();
      process.stderr.write(`isobench: interrupted (${sig}); servers stopped\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

// ---- /proc helpers ----

/** pids whose process group is pgid */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after the parenthesised command: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

const PAGE_SIZE = 4096;

/** summed RSS of the group, without the supervisor (its leader) */
function groupRssBytes(pgid: number): number {
  let total = 0;
  for (const pid of groupMembers(pgid)) {
    if (pid === pgid) continue;
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_SIZE;
    } catch {
      // exited
    }
  }
  return total;
}

// ---- ports ----

/** Throws ServerError when something already listens on host:port. */
export function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(new ServerError(err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use` : `cannot use port ${port} on ${host}: ${err.message}`)),
    );
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

export function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

// ---- readiness ----

// An attempt waits up to 5 s: a server that renders its first page slowly (wasm under load takes
// over 1 s) is ready, and abandoning its answer only queues another render behind it.
const READY_ATTEMPT_MS = 5000;

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: READY_ATTEMPT_MS, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(true));
      res.on('error', () => resolve(true));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeExit(e: ExitInfo): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** the server's last line of output, for a one-line error: capped (a crash may print a minified source line) */
function lastLine(text: string, max = 300): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.at(-1) ?? '';
  return last.length > max ? `${last.slice(0, max)}…` : last;
}

// ---- the process ----

export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  installHandlers();
  const [program, ...args] = opts.argv;
  if (!program) throw new ServerError(`${opts.name}: empty command line`);
  const pinned = opts.cpus !== null ? ['taskset', '-c', opts.cpus, program, ...args] : [program, ...args];
  opts.log?.(`${opts.name}: ${pinned.join(' ')}`);
  try {
    await ensureClientBuilt();
  } catch (err) {
    throw new ServerError(`${opts.name}: ${(err as Error).message}`);
  }

  const child: ChildProcess = spawn(superviseBinary, pinned, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // its own process group, so stop() reaches everything it forks
    // stdin: the supervisor's lifeline; it reads EOF when this process is gone and kills the group
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => {});
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  let exitInfo: ExitInfo | null = null;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });

  const pid = child.pid;
  if (pid === undefined) {
    const err = await spawnError;
    throw new ServerError(`${opts.name}: cannot start ${program}: ${err.message}`);
  }
  liveGroups.set(pid, recordLive(`server-${pid}`, { pgid: pid, command: pinned.join(' ') }));

  let rssPeak: number | undefined;
  const sampleRss = () => {
    const rss = groupRssBytes(pid);
    if (rss > 0) rssPeak = Math.max(rssPeak ?? 0, rss);
  };
  const sampler = setInterval(sampleRss, 250);
  sampler.unref();

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(sampler);
      if (!exitInfo) sampleRss();
      killGroup(pid, 'SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      killGroup(pid, 'SIGKILL'); // whatever is left of the group, leader or not
      await Promise.race([exited, sleep(2000)]);
      for (let i = 0; i < 40 && groupMembers(pid).length > 0; i++) await sleep(50);
      child.stdin!.destroy();
      liveGroups.get(pid)?.();
      liveGroups.delete(pid);
    })();
    return stopping;
  };

  const server: ServerProcess = {
    pid,
    exited,
    alive: () => exitInfo === null,
    outputTail: () => output,
    rssPeakBytes: () => rssPeak,
    stop,
  };

  // Wait for the first HTTP answer, the process's death, the timeout, or cancellation.
  const deadline = Date.now() + opts.readyTimeoutMs;
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new ServerError(`${opts.name}: cancelled while starting`);
      if (exitInfo) {
        const why = lastLine(output);
        throw new ServerError(`${opts.name}: server ${describeExit(exitInfo)} before it was ready${why ? `: ${why}` : ''}`);
      }
      if (await answers(opts.readyUrl)) break;
      if (Date.now() > deadline) {
        const why = lastLine(output);
        throw new ServerError(`${opts.name}: server not ready after ${opts.readyTimeoutMs / 1000} s at ${opts.readyUrl}${why ? ` (last output: ${why})` : ''}`);
      }
      await Promise.race([sleep(50), exited]);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  sampleRss();
  return server;
}

/** One line saying how a server died mid-run, with the last thing it wrote. */
export function deathMessage(name: string, e: ExitInfo, output: string): string {
  const why = lastLine(output);
  return `${name}: server ${describeExit(e)} during the run${why ? `: ${why}` : ''}`;
}
