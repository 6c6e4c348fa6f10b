// The programs a scenario file's server.argv[0] may name: python, deno and node are found the
// way isobench finds them (settings, environment, the npm package, this Node), anything else is a
// path relative to the scenario file or a program on PATH. Each says its version and what the
// engine must let it read beyond the scenario's own files.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isExecutable } from '../../harness/process.ts';
import type { Availability, ScenarioSettings } from '../scenario.ts';

export interface Runtime {
  /** what argv[0] said: python | deno | node | exec */
  kind: 'python' | 'deno' | 'node' | 'exec';
  /** absolute program path, or null with a reason */
  resolve(settings?: Partial<ScenarioSettings>): { binary: string } | { reason: string };
  versionArgs: string[];
  parseVersion(out: string): string | null;
  /** besides the binary (and its real path): what it reads at start */
  readPaths(): string[];
  env: Record<string, string>;
}

const SHARED_LIBS = ['/etc/ld.so.cache', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64'];

/** settings.python, else $ISOBENCH_PYTHON, else Debian's python3 (a pyenv shim may shadow python3 on PATH) */
export function pythonFor(settings?: Partial<ScenarioSettings>): string {
  const fromSettings = settings?.python;
  if (typeof fromSettings === 'string' && fromSettings) return fromSettings;
  return process.env.ISOBENCH_PYTHON || '/usr/bin/python3';
}

/** the real deno executable inside the npm package (not the node shim in node_modules/.bin) */
export function denoBinary(): string | null {
  const fromEnv = process.env.DENO_BINARY;
  if (fromEnv) return existsSync(fromEnv) ? realpathSync(fromEnv) : null;
  try {
    const packageDir = path.dirname(createRequire(import.meta.url).resolve('deno/package.json'));
    const binary = path.join(packageDir, 'deno');
    return existsSync(binary) ? realpathSync(binary) : null;
  } catch {
    return null;
  }
}

function pythonStdlibDirs(): string[] {
  try {
    return readdirSync('/usr/lib').filter((e) => /^python3(\.\d+)?$/.test(e)).map((e) => `/usr/lib/${e}`);
  } catch {
    return []; // not a Debian layout; the sandbox will say what it could not read
  }
}

function onPath(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, program))) return path.join(dir, program);
  }
  return null;
}

export function runtimeFor(program: string, scenarioDir: string): Runtime {
  if (program === 'python' || program === 'python3') {
    return {
      kind: 'python',
      resolve(settings) {
        const binary = pythonFor(settings);
        return existsSync(binary) ? { binary } : { reason: `python not found at ${binary} (set ISOBENCH_PYTHON or --set python=PATH)` };
      },
      versionArgs: ['-c', 'import sys; print(sys.version.split()[0])'],
      parseVersion: (out) => (/^\d+\.\d+/.test(out) ? `python ${out}` : null),
      readPaths: () => [...SHARED_LIBS, ...pythonStdlibDirs()],
      env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', LANG: 'C.UTF-8' },
    };
  }
  if (program === 'deno') {
    return {
      kind: 'deno',
      resolve() {
        const binary = denoBinary();
        return binary ? { binary } : { reason: 'deno binary not found (npm package `deno`; run npm ci)' };
      },
      versionArgs: ['--version'],
      parseVersion: (out) => /^deno (\S+)/.exec(out)?.[1] ?? null,
      readPaths: () => [],
      env: { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
    };
  }
  if (program === 'node') {
    return {
      kind: 'node',
      resolve(settings) {
        const binary = typeof settings?.node === 'string' && settings.node ? settings.node : process.env.ISOBENCH_NODE || process.execPath;
        return isExecutable(binary) ? { binary } : { reason: `node not found at ${binary}` };
      },
      versionArgs: ['--version'],
      parseVersion: (out) => (/^v\d+/.test(out) ? `node ${out}` : null),
      // Node's OpenSSL reads the system's default config at start: a missing file is skipped, a
      // refused one (the engine answers EACCES outside its policy) ends node with "OpenSSL
      // configuration error" (QEMU test bed). A world-readable system config, no secrets.
      readPaths: () => [...SHARED_LIBS, '/etc/ssl/openssl.cnf'],
      env: {},
    };
  }
  return {
    kind: 'exec',
    resolve() {
      const binary = program.includes('/') ? path.resolve(scenarioDir, program) : onPath(program);
      if (!binary) return { reason: `${program} not found on PATH` };
      return isExecutable(binary) ? { binary } : { reason: `${binary} is not an executable file` };
    },
    versionArgs: [],
    parseVersion: () => null,
    readPaths: () => [...SHARED_LIBS],
    env: {},
  };
}

function run(program: string, args: string[], env: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 20_000, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: (stdout || stderr || (err?.message ?? '')).trim() }),
    );
  });
}

/** is the runtime present, and which version (never throws) */
export async function runtimeAvailability(runtime: Runtime, settings?: Partial<ScenarioSettings>): Promise<Availability> {
  const found = runtime.resolve(settings);
  if ('reason' in found) return { ok: false, reason: found.reason };
  if (!runtime.versionArgs.length) return { ok: true, version: path.basename(found.binary) };
  const r = await run(found.binary, runtime.versionArgs, runtime.env);
  const version = r.ok ? runtime.parseVersion(r.out) : null;
  return version ? { ok: true, version } : { ok: false, reason: `${found.binary} does not run: ${r.out.split('\n').at(-1)}` };
}
