// CPU placement: on a machine with two or more CPUs the server gets CPU 1 and the load generator
// (this process and the C client) CPU 0, so they do not steal each other's time.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Pinning {
  server: string | null;
  client: string | null;
  note?: string;
}

export function choosePinning(enabled: boolean): Pinning {
  if (!enabled) return { server: null, client: null, note: 'pinning disabled (--no-pin)' };
  if (os.cpus().length < 2) return { server: null, client: null, note: 'one CPU: server and client share it' };
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    return { server: null, client: null, note: 'taskset not found: no pinning' };
  }
  return { server: '1', client: '0' };
}

/** Pins every thread of this process to cpus; returns a function that restores the previous mask. */
export function pinSelf(cpus: string): () => void {
  const pid = String(process.pid);
  const before = /:\s*([0-9a-f,]+)\s*$/i.exec(execFileSync('taskset', ['-p', pid], { encoding: 'utf8' }))?.[1];
  execFileSync('taskset', ['-a', '-p', '-c', cpus, pid], { stdio: 'ignore' });
  return () => {
    if (before) {
      try {
        execFileSync('taskset', ['-a', '-p', before, pid], { stdio: 'ignore' });
      } catch {
        // the process is exiting
      }
    }
  };
}
