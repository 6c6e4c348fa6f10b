// What a server process holds on the host, read from /proc: for tests that bound fd and memory growth.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { RunningServer } from '../../harness/targets/target.ts';

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

export const rssBytes = (pid: number): number => Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;

/** fd number -> what it points to (readlink of /proc/<pid>/fd/N), for messages naming a new fd */
export function fdTargets(pid: number): Map<string, string> {
  const out = new Map<string, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(fd, readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/**
 * The engine server's host fds once it is idle. Its reset after a request runs after the client
 * has the whole answer, and a reset briefly holds extra fds (pipes.c rebuilds a boot-time
 * socketpair whose other end the master had closed: socketpair, dup3 over the kept fd number, two
 * closes), so a count taken right after an answer can catch them, the more so under emulation. The
 * server writes its counters only between requests (it takes each worker's lock, held through a
 * request and its reset), so fresh counters mean the last reset is done. The first counters read
 * also opens each worker's KVM_GET_STATS_FD, once (isobench-server.c): read them before a baseline.
 */
export async function idleFdTargets(server: RunningServer, pid: number): Promise<Map<string, string>> {
  assert.ok(await server.counters?.(), 'the server wrote no counters');
  return fdTargets(pid);
}

/** "fd N -> target" for each fd of after that is not in before with the same target */
export function newFds(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([fd, target]) => before.get(fd) !== target).map(([fd, target]) => `fd ${fd} -> ${target}`);
}

/** pids of the host children of every thread of pid (from /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean);
    } catch {
      return []; // the thread ended meanwhile
    }
  });
}

/**
 * The server program's own pid. A started server's RunningServer.pid is isobench-supervise's
 * (harness/process.ts), which runs the program as its only child: fds, RSS, strace and child
 * processes of the server are the child's, not the supervisor's.
 */
export function programPid(supervisorPid: number): number {
  const children = childPids(supervisorPid);
  assert.equal(children.length, 1, `isobench-supervise ${supervisorPid} has children [${children.join(', ')}], expected the server alone`);
  return Number(children[0]);
}
