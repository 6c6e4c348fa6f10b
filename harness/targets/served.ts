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

/** Asks the server for fresh counters and reads the file once it changed. */
async function readStats(pid: number, stats: NonNullable<ServedOptions['stats']>): Promise<EngineCounters | undefined> {
  const before = existsSync(stats.file) ? statSync(stats.file).mtimeMs : 0;
  try {
    process.kill(pid, 'SIGUSR1');
  } catch {
    return undefined;
  }
  for (let i = 0; i < 100 && !(existsSync(stats.file) && statSync(stats.file).mtimeMs !== before); i++) await sleep(20);
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
              // gone: the run reports the death
            }
            await sleep(50);
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
