// A record of every process group and temporary folder a run starts, one small JSON file each under
// <tmpdir>/isobench-<uid>/live/, removed when the run stops them. A later run reads the records an
// isobench that no longer exists left behind (killed with SIGKILL, or a crash the supervisor could
// not cover) and reports what still runs, so it can be stopped (`isobench run --kill-leftovers`).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';

export interface LeftoverRecord {
  /** process group of the server or client */
  pgid: number;
  /** its command line, as started */
  command: string;
  /** the isobench process that started it, and that process's start time (guards pid reuse) */
  owner: number;
  ownerStart: string;
  /** the group leader's start time, so a reused pid is not mistaken for it */
  leaderStart?: string;
  /** temporary folders the run made for it */
  tempDirs?: string[];
  startedAt: string;
}

export interface Leftover {
  record: LeftoverRecord;
  /** members of the recorded group still alive */
  pids: number[];
}

export function stateDir(): string {
  return process.env.ISOBENCH_STATE_DIR ?? path.join(tmpdir(), `isobench-${userInfo().uid}`, 'live');
}

/** field 22 of /proc/PID/stat: start time in clock ticks since boot; null when the process is gone */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function fileFor(name: string): string {
  return path.join(stateDir(), `${process.pid}-${name}.json`);
}

/** Writes a record for this run; returns its remover. */
export function recordLive(name: string, entry: { pgid?: number; command: string; tempDirs?: string[] }): () => void {
  const file = fileFor(name);
  const record: LeftoverRecord = {
    pgid: entry.pgid ?? 0,
    command: entry.command,
    owner: process.pid,
    ownerStart: processStartTime(process.pid) ?? '',
    ...(entry.pgid ? { leaderStart: processStartTime(entry.pgid) ?? undefined } : {}),
    ...(entry.tempDirs ? { tempDirs: entry.tempDirs } : {}),
    startedAt: new Date().toISOString(),
  };
  try {
    mkdirSync(stateDir(), { recursive: true });
    writeFileSync(file, JSON.stringify(record));
  } catch {
    // without a record the run still works; only the later leftover check loses this entry
  }
  return () => rmSync(file, { force: true });
}

function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

function readRecords(): { file: string; record: LeftoverRecord }[] {
  let names: string[];
  try {
    names = readdirSync(stateDir()).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: { file: string; record: LeftoverRecord }[] = [];
  for (const name of names) {
    const file = path.join(stateDir(), name);
    try {
      out.push({ file, record: JSON.parse(readFileSync(file, 'utf8')) as LeftoverRecord });
    } catch {
      rmSync(file, { force: true }); // half-written by a killed run
    }
  }
  return out;
}

/**
 * Leftovers of isobench runs that no longer exist. Records whose processes are all gone are
 * removed on the way, with their temporary folders; records of a live isobench are left alone.
 */
export function findLeftovers(): Leftover[] {
  const found: Leftover[] = [];
  for (const { file, record } of readRecords()) {
    if (record.ownerStart && processStartTime(record.owner) === record.ownerStart) continue; // its run is still going
    const leaderIsOurs = record.pgid > 0 && (!record.leaderStart || processStartTime(record.pgid) === record.leaderStart);
    const pids = record.pgid > 0 ? groupMembers(record.pgid) : [];
    if (pids.length > 0 && (leaderIsOurs || processStartTime(record.pgid) === null)) {
      found.push({ record, pids });
      continue;
    }
    for (const dir of record.tempDirs ?? []) rmSync(dir, { recursive: true, force: true });
    rmSync(file, { force: true });
  }
  return found;
}

/** SIGKILLs a leftover's group, then forgets it. */
export function killLeftover(leftover: Leftover): void {
  try {
    process.kill(-leftover.record.pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const pid of leftover.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 40 && groupMembers(leftover.record.pgid).length > 0; i++) Atomics.wait(pause, 0, 0, 50);
  findLeftovers(); // removes the now empty record and its folders
}

export function describeLeftover(l: Leftover): string {
  const command = l.record.command.length > 100 ? `${l.record.command.slice(0, 97)}...` : l.record.command;
  return `process group ${l.record.pgid} (pids ${l.pids.join(', ')}: ${command}), started ${l.record.startedAt} by isobench pid ${l.record.owner}`;
}
