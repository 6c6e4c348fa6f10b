// Target `kvmserver`: the scenario under upstream kvmserver (TinyKVM) in ephemeral mode, when
// the user points us at a binary they built (setting `kvmserverPath` from --kvmserver, or env
// KVMSERVER). Nothing of kvmserver is vendored or built here. kvmserver warms the program up
// itself; requests sent before it prints "Program '...' loaded." can break Deno, so readiness
// is that line, never an HTTP poll.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { LaunchSpec, ScenarioSettings } from '../../scenarios/scenario.ts';
import { groupMembers, isExecutable } from '../process.ts';
import { runningServer } from './served.ts';
import type { RunningServer, Target, TargetAvailability, TargetContext } from './target.ts';

export const NOT_SUPPLIED = 'kvmserver not supplied';
export const LOADED_LINE = /^Program '.*' loaded\./;
const READY_TIMEOUT_MS = 120_000;

export function kvmserverPath(settings?: Partial<ScenarioSettings>, env: NodeJS.ProcessEnv = process.env): string | null {
  const path = (settings?.kvmserverPath as string | undefined) || env.KVMSERVER;
  return path ? path : null;
}

export interface KvmserverOptions {
  /** request VMs (kvmserver --threads); the same worker count our engine uses */
  threads: number;
  /** warm-up requests kvmserver sends itself before forking (kvmserver --warmup) */
  warmup: number;
}

export function kvmserverOptions(settings: Partial<ScenarioSettings>): KvmserverOptions {
  const threads = typeof settings.workers === 'number' && settings.workers > 0 ? Math.floor(settings.workers) : 1;
  const warmup = typeof settings.warmup === 'number' && settings.warmup > 0 ? Math.min(Math.floor(settings.warmup), 65_535) : 0;
  return { threads, warmup };
}

function findOnPath(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, program))) return join(dir, program);
  }
  return null;
}

/**
 * kvmserver's command line for a scenario launch. stdout is line-buffered through stdbuf when
 * available (kvmserver prints its "loaded" line with printf, which a pipe would otherwise hold).
 */
export function kvmserverArgv(binary: string, launch: LaunchSpec, opts: KvmserverOptions, stdbuf: string | null = findOnPath('stdbuf')): string[] {
  const envFlags = Object.entries(launch.env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
  const kvmserver = [
    binary,
    '--threads', String(opts.threads),
    '--warmup', String(opts.warmup),
    '--ephemeral',
    '--allow-read',
    '--allow-listen',
    '--cwd', launch.cwd,
    ...envFlags,
    '--',
    ...launch.argv,
  ];
  return stdbuf ? [stdbuf, '-oL', '-eL', ...kvmserver] : kvmserver;
}

export interface KvmserverProcess {
  pid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** the "Program ... loaded" line */
  loadedLine: string;
  outputTail(): string;
  rssPeakBytes(): number | undefined;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts kvmserver in its own process group and resolves once it printed its loaded line. */
export async function startKvmserver(opts: {
  argv: string[];
  cwd: string;
  cpus: string | null;
  readyTimeoutMs?: number;
  log?(line: string): void;
  signal?: AbortSignal;
}): Promise<KvmserverProcess> {
  const argv = opts.cpus !== null ? ['taskset', '-c', opts.cpus, ...opts.argv] : opts.argv;
  opts.log?.(`kvmserver: ${argv.join(' ')}`);
  const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`kvmserver: cannot start ${argv[0]}: ${err.message}`);
  }
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const onHarnessExit = () => killGroup('SIGKILL');
  process.once('exit', onHarnessExit);

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let tail = '';
  let resolveLoaded!: (line: string) => void;
  const loaded = new Promise<string>((resolve) => (resolveLoaded = resolve));
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('latin1');
    stream.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-8192);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (LOADED_LINE.test(line.trim())) resolveLoaded(line.trim());
    });
  }

  let rssPeak: number | undefined;
  const sampleRss = () => {
    let total = 0;
    for (const member of groupMembers(pid)) {
      try {
        total += Number(readFileSync(`/proc/${member}/statm`, 'utf8').split(' ')[1]) * 4096;
      } catch {
        // exited
      }
    }
    if (total > 0) rssPeak = Math.max(rssPeak ?? 0, total);
  };
  const sampler = setInterval(sampleRss, 250);
  sampler.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(sampler);
      killGroup('SIGTERM');
      await Promise.race([exited, sleep(3000)]);
      killGroup('SIGKILL');
      await Promise.race([exited, sleep(2000)]);
      for (let i = 0; i < 40 && groupMembers(pid).length > 0; i++) await sleep(50);
      process.removeListener('exit', onHarnessExit);
    })());

  const timeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`kvmserver: no "Program ... loaded" line after ${timeoutMs / 1000} s`)), timeoutMs);
    exited.then((e) => {
      const last = tail.trim().split('\n').at(-1) ?? '';
      reject(new Error(`kvmserver ${e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`} before it loaded the program${last ? `: ${last}` : ''}`));
    });
    opts.signal?.addEventListener('abort', () => reject(new Error('kvmserver: cancelled while starting')), { once: true });
  });
  failure.catch(() => {}); // after readiness, exits are reported through the target's `died`
  try {
    const loadedLine = await Promise.race([loaded, failure]);
    sampleRss();
    return { pid, exited, loadedLine, outputTail: () => tail, rssPeakBytes: () => rssPeak, stop };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

export function kvmserverAvailability(settings?: Partial<ScenarioSettings>, env: NodeJS.ProcessEnv = process.env): TargetAvailability {
  const binary = kvmserverPath(settings, env);
  if (!binary) return { ok: false, reason: NOT_SUPPLIED };
  if (!existsSync(binary)) return { ok: false, reason: `kvmserver not found at ${binary}` };
  if (!isExecutable(binary)) return { ok: false, reason: `kvmserver at ${binary} is not executable` };
  if (!existsSync('/dev/kvm')) return { ok: false, reason: 'kvmserver needs /dev/kvm, which is absent' };
  const help = spawnSync(binary, ['--help'], { encoding: 'utf8', timeout: 10_000 });
  if (help.error) return { ok: false, reason: `kvmserver at ${binary} does not run: ${help.error.message}` };
  return { ok: true, engine: `kvmserver (${binary})` };
}

export const kvmserverTarget: Target = {
  name: 'kvmserver',
  description: 'upstream kvmserver (TinyKVM), ephemeral VMs reset after each connection; --kvmserver PATH or env KVMSERVER',
  clientMode: 'per-request',
  expectsIsolation: true,

  async availability(): Promise<TargetAvailability> {
    return kvmserverAvailability();
  },

  async start(ctx: TargetContext): Promise<RunningServer> {
    const { scenario, settings } = ctx;
    const availability = kvmserverAvailability(settings);
    if (!availability.ok) throw new Error(`kvmserver: ${availability.reason}`);
    const binary = kvmserverPath(settings)!;
    const launch = scenario.launch(settings);
    const proc = await startKvmserver({
      argv: kvmserverArgv(binary, launch, kvmserverOptions(settings)),
      cwd: launch.cwd,
      cpus: ctx.serverCpus,
      readyTimeoutMs: typeof settings.readyTimeoutMs === 'number' ? settings.readyTimeoutMs : undefined,
      log: ctx.log,
      signal: ctx.signal,
    });
    ctx.log(`${scenario.name}/kvmserver: ${proc.loadedLine}`);
    return runningServer(proc, { url: `http://${settings.host}:${settings.port}`, label: `${scenario.name}/kvmserver` });
  },
};
