// TypeScript face of the C engine (native/include/isobench.h) through koffi.
// Errors from the C side become EngineError exceptions carrying the C message; guest outcomes
// (faulted, timed out, exited...) are results, not exceptions.
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type ResetMode = 'persist' | 'pages' | 'full' | 'hybrid';
export const RESET_MODES: readonly ResetMode[] = ['persist', 'pages', 'full', 'hybrid'];
export type RequestStatus = 'ok' | 'exited' | 'faulted' | 'limit-time' | 'limit-memory' | 'killed';

export interface Limits {
  /** guest physical memory (the per-VM cap), bytes; default 256 MiB */
  memBytes?: number;
  bootTimeUs?: number;
  requestTimeUs?: number;
  /** per-request dirtied-memory cap, bytes; default none */
  requestDirtyBytes?: number;
  /** hybrid: full reset when the request dirtied more than this; default 1 MiB */
  hybridThresholdBytes?: number;
}

export interface RequestResult {
  status: RequestStatus;
  exitCode: number;
  output: Buffer;
  /** bytes the guest reported; more than output.length when truncated */
  outputLength: number;
  dirtyPages: number;
  exits: number;
  syscalls: number;
  /** the engine's message when status is not ok */
  error?: string;
}

export class EngineError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'EngineError';
  }
}

export const LIBRARY_PATH = fileURLToPath(new URL('../native/build/libisobench.so', import.meta.url));

const STATUS: Record<number, RequestStatus> = { 0: 'ok', 1: 'exited', 2: 'faulted', 3: 'limit-time', 4: 'limit-memory', 5: 'killed' };

interface Native {
  lastError: () => string;
  kvmAvailable: () => number;
  masterCreate: (path: string, argv: string[], envp: string[], limits: Record<string, number>) => unknown;
  masterRunToReady: (m: unknown) => number;
  masterDestroy: (m: unknown) => void;
  fork: (m: unknown, mode: number) => unknown;
  setMode: (w: unknown, mode: number) => number;
  setThreshold: (w: unknown, bytes: number) => number;
  runRequest: (w: unknown, input: Buffer, len: number, out: Buffer, cap: number, res: Record<string, number>) => number;
  reset: (w: unknown, mode: number) => number;
  workerDestroy: (w: unknown) => void;
  masterTakeOutput: (m: unknown, fd: number, buf: Buffer, cap: number) => number;
  workerTakeOutput: (w: unknown, fd: number, buf: Buffer, cap: number) => number;
  masterPeek: (m: unknown, addr: number, buf: Buffer, len: number) => number;
  workerPeek: (w: unknown, addr: number, buf: Buffer, len: number) => number;
  workerCounters: (w: unknown) => string;
  masterCounters: (m: unknown) => string;
}

let native: Native | null = null;

function lib(): Native {
  if (native) return native;
  if (!existsSync(LIBRARY_PATH)) throw new EngineError(`engine library not built: ${LIBRARY_PATH} (run make -C native)`);
  const l = koffi.load(LIBRARY_PATH);
  koffi.opaque('ib_master');
  koffi.opaque('ib_worker');
  koffi.struct('ib_limits', {
    mem_bytes: 'uint64_t',
    boot_time_us: 'uint64_t',
    request_time_us: 'uint64_t',
    request_dirty_bytes: 'uint64_t',
    hybrid_threshold_bytes: 'uint64_t',
  });
  koffi.struct('ib_request_result', {
    status: 'int32_t',
    exit_code: 'int32_t',
    out_len: 'uint64_t',
    dirty_pages: 'uint64_t',
    exits: 'uint64_t',
    syscalls: 'uint64_t',
  });
  native = {
    lastError: l.func('const char *ib_last_error(void)'),
    kvmAvailable: l.func('int ib_kvm_available(void)'),
    masterCreate: l.func('ib_master *ib_master_create(const char *path, const char **argv, const char **envp, const ib_limits *limits)'),
    masterRunToReady: l.func('int ib_master_run_to_ready(ib_master *m)'),
    masterDestroy: l.func('void ib_master_destroy(ib_master *m)'),
    fork: l.func('ib_worker *ib_fork(ib_master *m, int mode)'),
    setMode: l.func('int ib_worker_set_mode(ib_worker *w, int mode)'),
    setThreshold: l.func('int ib_worker_set_hybrid_threshold(ib_worker *w, uint64_t bytes)'),
    runRequest: l.func('int ib_worker_run_request(ib_worker *w, const void *input, size_t len, void *out, size_t cap, _Out_ ib_request_result *res)'),
    reset: l.func('int ib_worker_reset(ib_worker *w, int mode)'),
    workerDestroy: l.func('void ib_worker_destroy(ib_worker *w)'),
    masterTakeOutput: l.func('size_t ib_master_take_output(ib_master *m, int fd, void *buf, size_t cap)'),
    workerTakeOutput: l.func('size_t ib_worker_take_output(ib_worker *w, int fd, void *buf, size_t cap)'),
    masterPeek: l.func('int ib_master_peek(ib_master *m, uint64_t addr, void *buf, size_t len)'),
    workerPeek: l.func('int ib_worker_peek(ib_worker *w, uint64_t addr, void *buf, size_t len)'),
    workerCounters: l.func('const char *ib_worker_counters_json(ib_worker *w)'),
    masterCounters: l.func('const char *ib_master_counters_json(ib_master *m)'),
  } as Native;
  return native;
}

/** Whether the engine can run here; `reason` says why not. */
export function kvmAvailable(): { ok: boolean; reason?: string } {
  try {
    const n = lib();
    return n.kvmAvailable() ? { ok: true } : { ok: false, reason: n.lastError() };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

function modeNumber(mode: ResetMode): number {
  const i = RESET_MODES.indexOf(mode);
  if (i < 0) throw new EngineError(`unknown reset mode: ${String(mode)}`);
  return i;
}

function takeOutput(fn: (h: unknown, fd: number, buf: Buffer, cap: number) => number, h: unknown, fd: 1 | 2): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = Number(fn(h, fd, buf, buf.length));
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    if (n < buf.length) break;
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class Master {
  private handle: unknown;
  private constructor(handle: unknown) {
    this.handle = handle;
  }

  static create(elfPath: string, opts: { argv?: string[]; env?: string[]; limits?: Limits } = {}): Master {
    const n = lib();
    const l = opts.limits ?? {};
    const h = n.masterCreate(elfPath, [...(opts.argv ?? [elfPath]), null as unknown as string], [...(opts.env ?? []), null as unknown as string], {
      mem_bytes: l.memBytes ?? 0,
      boot_time_us: l.bootTimeUs ?? 0,
      request_time_us: l.requestTimeUs ?? 0,
      request_dirty_bytes: l.requestDirtyBytes ?? 0,
      hybrid_threshold_bytes: l.hybridThresholdBytes ?? 0,
    });
    if (!h) throw new EngineError(n.lastError());
    return new Master(h);
  }

  /** Boots the guest to its ready point and freezes it. Throws when it does not get there. */
  runToReady(): void {
    const n = lib();
    const st = n.masterRunToReady(this.live());
    if (st !== 0) throw new EngineError(n.lastError(), st);
  }

  fork(mode: ResetMode): Worker {
    const n = lib();
    const h = n.fork(this.live(), modeNumber(mode));
    if (!h) throw new EngineError(n.lastError());
    return new Worker(h, mode);
  }

  takeOutput(fd: 1 | 2 = 1): string {
    return takeOutput(lib().masterTakeOutput, this.live(), fd);
  }

  peek(addr: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    if (lib().masterPeek(this.live(), addr, buf, len) !== 0) throw new EngineError(lib().lastError());
    return buf;
  }

  /** totals over the master's boot and all its workers */
  counters(): Record<string, unknown> {
    return JSON.parse(lib().masterCounters(this.live())) as Record<string, unknown>;
  }

  destroy(): void {
    if (!this.handle) return;
    lib().masterDestroy(this.handle);
    this.handle = null;
  }

  private live(): unknown {
    if (!this.handle) throw new EngineError('master already destroyed');
    return this.handle;
  }
}

export class Worker {
  private handle: unknown;
  private outBuf = Buffer.alloc(65536);
  constructor(handle: unknown, public mode: ResetMode) {
    this.handle = handle;
  }

  runRequest(input: Buffer | string, outCap = 65536): RequestResult {
    const n = lib();
    const inBuf = typeof input === 'string' ? Buffer.from(input) : input;
    if (this.outBuf.length < outCap) this.outBuf = Buffer.alloc(outCap);
    const res: Record<string, number> = {};
    const st = n.runRequest(this.live(), inBuf, inBuf.length, this.outBuf, outCap, res);
    if (st === -1) throw new EngineError(n.lastError(), st);
    const outLen = Number(res.out_len);
    const status = STATUS[st] ?? 'killed';
    return {
      status,
      exitCode: res.exit_code,
      output: Buffer.from(this.outBuf.subarray(0, Math.min(outLen, outCap))),
      outputLength: outLen,
      dirtyPages: Number(res.dirty_pages),
      exits: Number(res.exits),
      syscalls: Number(res.syscalls),
      ...(status === 'ok' ? {} : { error: n.lastError() }),
    };
  }

  /** Resets with the worker's mode (or the one given); returns the mode applied. */
  reset(mode?: ResetMode): 'persist' | 'pages' | 'full' {
    const n = lib();
    const applied = n.reset(this.live(), mode === undefined ? -1 : modeNumber(mode));
    if (applied < 0) throw new EngineError(n.lastError());
    return RESET_MODES[applied] as 'persist' | 'pages' | 'full';
  }

  setMode(mode: ResetMode): void {
    lib().setMode(this.live(), modeNumber(mode));
    this.mode = mode;
  }

  setHybridThreshold(bytes: number): void {
    lib().setThreshold(this.live(), bytes);
  }

  takeOutput(fd: 1 | 2 = 1): string {
    return takeOutput(lib().workerTakeOutput, this.live(), fd);
  }

  peek(addr: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    if (lib().workerPeek(this.live(), addr, buf, len) !== 0) throw new EngineError(lib().lastError());
    return buf;
  }

  counters(): Record<string, unknown> {
    return JSON.parse(lib().workerCounters(this.live())) as Record<string, unknown>;
  }

  destroy(): void {
    if (!this.handle) return;
    lib().workerDestroy(this.handle);
    this.handle = null;
  }

  private live(): unknown {
    if (!this.handle) throw new EngineError('worker already destroyed');
    return this.handle;
  }
}

/** Test guests built by `make -C native` */
export function guestPath(name: string): string {
  return fileURLToPath(new URL(`../native/build/guests/${name}`, import.meta.url));
}
