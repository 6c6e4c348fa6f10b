// What a target hands the run once its server answers: the RunningServer face of a started
// process, and the stats-file protocol the engine and wasm servers share (SIGUSR1: write the
// counters to the file; SIGUSR2: clear them).
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { EngineCounters } from '../../reports/results/types.ts';
import { deathMessage, removeTrackedTempDir, type ServerProcess } from '../process.ts';
import type { RunningServer } from './target.ts';

export type StartedProcess = Pick<ServerProcess, 'pid' | 'exited' | 'outputTail' | 'rssPeakBytes' | 'stop'>;

export interface ServedOptions {
  url: string;
  /** names the server in the message when it dies mid-run, e.g. "python-wsgi/native" */
  label: string;
  /** the server writes counters to this file on SIGUSR1; parse maps its JSON to the row's counters */
  stats?: { file: string; parse(json: unknown): EngineCounters };
  /** removed once the server has stopped */
  tempDir?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** how long a server may take to write its counters: it writes them between requests (the engine
 * server after the running request and its reset), which under emulation can take seconds */
const STATS_WAIT_MS = 30_000;

/** the stats file's inode: both servers write a new file and rename it over the old one, so a
 * changed inode is a fresh write even within one tick of the file-time clock */
function statsInode(file: string): number {
  return existsSync(file) ? statSync(file).ino : -1;
}

/**
 * Asks the server for fresh counters and reads the file once it was rewritten; undefined when the
 * server is gone or wrote nothing within STATS_WAIT_MS (never an older file's counters). A server
 * handles its signals in order, so fresh counters also mean an earlier SIGUSR2's clear is done.
 */
async function readStats(pid: number, stats: NonNullable<ServedOptions['stats']>): Promise<EngineCounters | undefined> {
  const before = statsInode(stats.file);
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    return undefined;
  }
  const deadline = Date.now() + STATS_WAIT_MS;
  while (statsInode(stats.file) === before) {
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
  try {
    return stats.parse(JSON.parse(readFileSync(stats.file, 'utf8')));
  } catch {
    return undefined;
  }
}

export function removeTempDir(dir: string | undefined): void {
  if (dir) removeTrackedTempDir(dir);
}

export function runningServer(proc: StartedProcess, o: ServedOptions): RunningServer {
  let stopped = false;
  // a death after stop() is ours, not news: that promise never settles
  const died = proc.exited.then((e) => (stopped ? new Promise<string>(() => {}) : deathMessage(o.label, e, proc.outputTail())));
  const stats = o.stats;
  return {
    url: o.url,
    pid: proc.pid,
    died,
    rssPeakBytes: () => proc.rssPeakBytes(),
    ...(stats
      ? {
          counters: () => readStats(proc.pid, stats),
          async resetCounters() {
            try {
              process.kill(proc.pid, 'SIGUSR2');
            } catch {
              return; // gone: the run reports the death
            }
            // a server busy with a request (a cold pyodide instance blocks its event loop for
            // seconds) clears late: wait until its counters read cleared, so that no measured
            // request is wiped with the warm-up's
            const deadline = Date.now() + STATS_WAIT_MS;
            while (Date.now() < deadline) {
              const c = await readStats(proc.pid, stats);
              if (!c || !Number(c.requests)) return;
              await sleep(20);
            }
          },
        }
      : {}),
    async stop() {
      stopped = true;
      await proc.stop();
      removeTempDir(o.tempDir);
    },
  };
}
