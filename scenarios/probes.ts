// The isolation suite's probe catalogue: one line per probe, shared by the scenarios that route it
// at /isolation/<name>. A scenario picks the probes its runtime can run and marks the others not
// applicable with its reason, so every matrix lists the same probes.
import type { ProbeKind, ProbeSpec } from './scenario.ts';

interface CatalogueEntry {
  kind: ProbeKind;
  description: string;
}

export const PROBE_CATALOGUE: Record<string, CatalogueEntry> = {
  memory: { kind: 'carry', description: 'a module-level variable written by request N, read by request N+1' },
  'native-memory': { kind: 'carry', description: 'memory outside the language heap (a libc static / a WebAssembly.Memory) written by N, read by N+1' },
  'fd-pipe': { kind: 'carry', description: 'bytes request N writes into a pipe opened at boot, read by N+1' },
  'fd-socketpair': { kind: 'carry', description: 'bytes request N writes into a socketpair opened at boot, read by N+1' },
  'fd-eventfd': { kind: 'carry', description: 'a count request N adds to an eventfd opened at boot, read by N+1' },
  'fd-epoll': { kind: 'carry', description: 'an fd request N registers in an epoll set created at boot, still registered at N+1' },
  file: { kind: 'carry', description: 'a file request N writes under /tmp, read by N+1' },
  'process-state': { kind: 'carry', description: 'env, cwd, umask and a signal disposition set by request N, seen by N+1' },
  clocks: { kind: 'capability', description: "another process's CPU-time clock (pid 1, the parent) read by clock id" },
  'random-os': { kind: 'fresh', description: 'bytes from the OS random source (os.urandom / crypto.getRandomValues): fresh every request?' },
  'random-prng': { kind: 'fresh', description: "the language's seeded PRNG (random.random / Math.random): fresh every request?" },
  'random-boot': { kind: 'fresh', description: 'AT_RANDOM bytes (source of the stack canary) and a libc address (ASLR): fresh every request?' },
  concurrent: { kind: 'concurrent', description: 'a token request A leaves (module global, boot pipe) while it runs, read by concurrent request B' },
};

/** Every catalogue probe, routed at /isolation/<name>, except those named in `notApplicable` (name: reason). */
export function probeList(notApplicable: Record<string, string> = {}): ProbeSpec[] {
  return Object.entries(PROBE_CATALOGUE).map(([name, entry]) => ({
    name,
    path: `/isolation/${name}`,
    description: entry.description,
    kind: entry.kind,
    connections: entry.kind === 'concurrent' ? 2 : 1,
    ...(notApplicable[name] ? { targets: [], notApplicable: notApplicable[name] } : {}),
  }));
}

export interface ProbeDeclaration {
  name: string;
  path?: string;
  what?: string;
  kind?: ProbeKind;
  notOn?: string[];
  notApplicable?: string;
}

/** A scenario file's probe as the suite runs it: a catalogue name fills in what the file leaves out;
 * any other probe must give what it checks and its kind. Returns a one-line reason when it cannot. */
export function probeFromDeclaration(p: ProbeDeclaration): ProbeSpec | string {
  const entry = PROBE_CATALOGUE[p.name];
  const description = p.what ?? entry?.description;
  const kind = p.kind ?? entry?.kind;
  if (!description || !kind) return `${p.name} is not in the probe catalogue (${Object.keys(PROBE_CATALOGUE).join(', ')}): give its path, what and kind`;
  if (p.notOn && !p.notApplicable) return `${p.name}: notOn is given, so notApplicable must say why those targets cannot run it`;
  return {
    name: p.name,
    path: p.path ?? `/isolation/${p.name}`,
    description,
    kind,
    connections: kind === 'concurrent' ? 2 : 1,
    ...(p.notOn ? { notOn: p.notOn, notApplicable: p.notApplicable } : p.notApplicable ? { targets: [], notApplicable: p.notApplicable } : {}),
  };
}
