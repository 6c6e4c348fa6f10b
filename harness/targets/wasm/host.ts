// An in-process WASI 0.2 host for the wasi:http proxy world, for the jco bindings of our
// component: every import the component links against, implemented on the calling thread.
// preview2-shim routes each stream, pollable and HTTP call through a synchronous round trip to a
// worker thread; here the request body is read before the guest runs and the response is
// collected in memory, so the guest never waits on another thread and a client that goes away
// cannot block it. Sandbox: no preopened directories, no environment, no outbound HTTP, stdout
// and stderr go to the server's own.
import { randomBytes, randomFillSync } from 'node:crypto';

/** a stream error the bindings lower into wasi:io/streams stream-error */
const CLOSED = { tag: 'closed' } as const;

class IoError {
  constructor(private readonly message: string) {}
  toDebugString(): string {
    return this.message;
  }
}

// ---- wasi:io/poll ------------------------------------------------------------------------

class Pollable {
  /** hrtime ns when ready; 0n is ready now */
  constructor(readonly deadlineNs: bigint = 0n) {}
  ready(): boolean {
    return this.deadlineNs === 0n || process.hrtime.bigint() >= this.deadlineNs;
  }
  block(): void {
    sleepUntil(this.deadlineNs);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepUntil(deadlineNs: bigint): void {
  for (;;) {
    const leftNs = deadlineNs - process.hrtime.bigint();
    if (leftNs <= 0n) return;
    Atomics.wait(sleepCell, 0, 0, Math.max(Number(leftNs) / 1e6, 0.001));
  }
}

function poll(pollables: Pollable[]): Uint32Array {
  if (pollables.length === 0) throw new Error('wasi:io/poll: poll on an empty list');
  for (;;) {
    const ready: number[] = [];
    let earliest: bigint | null = null;
    pollables.forEach((p, i) => {
      if (p.ready()) ready.push(i);
      else if (earliest === null || p.deadlineNs < earliest) earliest = p.deadlineNs;
    });
    if (ready.length) return Uint32Array.from(ready);
    sleepUntil(earliest!);
  }
}

// ---- wasi:io/streams ---------------------------------------------------------------------

class InputStream {
  #offset = 0;
  constructor(private readonly bytes: Uint8Array) {}
  read(len: bigint): Uint8Array {
    if (this.#offset >= this.bytes.length) throw CLOSED;
    const end = Math.min(this.bytes.length, this.#offset + Number(len));
    const chunk = this.bytes.slice(this.#offset, end);
    this.#offset = end;
    return chunk;
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len);
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len);
  }
  subscribe(): Pollable {
    return new Pollable();
  }
}

/** where an output stream's bytes go */
type Sink = (chunk: Uint8Array) => void;
/** how much a writer may hand over per write (wasi:io check-write permit) */
const WRITE_PERMIT = 1n << 20n;

class OutputStream {
  #closed = false;
  constructor(private readonly sink: Sink) {}
  close(): void {
    this.#closed = true;
  }
  checkWrite(): bigint {
    if (this.#closed) throw CLOSED;
    return WRITE_PERMIT;
  }
  write(contents: Uint8Array): void {
    if (this.#closed) throw CLOSED;
    if (contents.length) this.sink(contents.slice());
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents);
  }
  flush(): void {
    if (this.#closed) throw CLOSED;
  }
  blockingFlush(): void {
    this.flush();
  }
  subscribe(): Pollable {
    return new Pollable();
  }
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len);
  }
  splice(src: InputStream, len: bigint): bigint {
    const chunk = src.read(len);
    this.write(chunk);
    return BigInt(chunk.length);
  }
  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len);
  }
}

const discard: Sink = () => {};
const stdoutStream = new OutputStream((chunk) => process.stdout.write(chunk));
const stderrStream = new OutputStream((chunk) => process.stderr.write(chunk));

// ---- wasi:http/types ---------------------------------------------------------------------

type FieldEntry = [string, Uint8Array];
const FORBIDDEN_HEADERS = new Set(['connection', 'keep-alive', 'host', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function checkField(name: string, value?: Uint8Array): void {
  if (!TOKEN.test(name)) throw { tag: 'invalid-syntax' };
  if (value && value.some((b) => b === 0x0a || b === 0x0d || b === 0x00)) throw { tag: 'invalid-syntax' };
  if (FORBIDDEN_HEADERS.has(name.toLowerCase())) throw { tag: 'forbidden' };
}

class Fields {
  #entries: FieldEntry[] = [];
  #immutable = false;
  static fromList(entries: FieldEntry[]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }
  static locked(entries: FieldEntry[]): Fields {
    const fields = new Fields();
    fields.#entries = entries;
    fields.#immutable = true;
    return fields;
  }
  lock(): this {
    this.#immutable = true;
    return this;
  }
  #mutable(): void {
    if (this.#immutable) throw { tag: 'immutable' };
  }
  get(name: string): Uint8Array[] {
    const key = name.toLowerCase();
    return this.#entries.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
  }
  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.#entries.some(([n]) => n.toLowerCase() === key);
  }
  set(name: string, values: Uint8Array[]): void {
    this.#mutable();
    checkField(name);
    values.forEach((v) => checkField(name, v));
    this.delete(name);
    for (const value of values) this.#entries.push([name, value]);
  }
  delete(name: string): void {
    this.#mutable();
    const key = name.toLowerCase();
    this.#entries = this.#entries.filter(([n]) => n.toLowerCase() !== key);
  }
  append(name: string, value: Uint8Array): void {
    this.#mutable();
    checkField(name, value);
    this.#entries.push([name, value]);
  }
  entries(): FieldEntry[] {
    return this.#entries.slice();
  }
  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.#entries.slice();
    return copy;
  }
}

class FutureTrailers {
  #taken = false;
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

class IncomingBody {
  #stream: InputStream | null;
  constructor(bytes: Uint8Array) {
    this.#stream = new InputStream(bytes);
  }
  stream(): InputStream {
    const stream = this.#stream;
    if (!stream) throw undefined;
    this.#stream = null;
    return stream;
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

export interface RequestHead {
  method: string;
  pathWithQuery: string;
  authority: string;
  headers: [string, string][];
  body: Uint8Array;
}

const METHODS = new Set(['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch']);
const encoder = new TextEncoder();

class IncomingRequest {
  #consumed = false;
  readonly #headers: Fields;
  constructor(private readonly head: RequestHead) {
    this.#headers = Fields.locked(
      head.headers.filter(([name]) => !FORBIDDEN_HEADERS.has(name.toLowerCase())).map(([name, value]) => [name, encoder.encode(value)]),
    );
  }
  method(): unknown {
    const lower = this.head.method.toLowerCase();
    return METHODS.has(lower) ? { tag: lower } : { tag: 'other', val: this.head.method };
  }
  pathWithQuery(): string {
    return this.head.pathWithQuery;
  }
  scheme(): unknown {
    return { tag: 'HTTP' };
  }
  authority(): string {
    return this.head.authority;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    if (this.#consumed) throw undefined;
    this.#consumed = true;
    return new IncomingBody(this.head.body);
  }
}

class OutgoingBody {
  #stream: OutputStream | null;
  readonly #own: OutputStream;
  finished = false;
  constructor(sink: Sink) {
    this.#own = new OutputStream(sink);
    this.#stream = this.#own;
  }
  write(): OutputStream {
    const stream = this.#stream;
    if (!stream) throw undefined;
    this.#stream = null;
    return stream;
  }
  static finish(body: OutgoingBody, trailers?: Fields): void {
    if (trailers) throw { tag: 'internal-error', val: 'trailers are not supported' };
    body.finished = true;
    body.#own.close();
  }
}

class OutgoingResponse {
  #status = 200;
  #body: OutgoingBody | null = null;
  readonly chunks: Uint8Array[] = [];
  constructor(private readonly fields: Fields) {
    fields.lock();
  }
  statusCode(): number {
    return this.#status;
  }
  setStatusCode(status: number): void {
    if (status < 100 || status > 999) throw undefined;
    this.#status = status;
  }
  headers(): Fields {
    return this.fields;
  }
  body(): OutgoingBody {
    if (this.#body) throw undefined;
    this.#body = new OutgoingBody((chunk) => this.chunks.push(chunk));
    return this.#body;
  }
  /** the body as written so far, and whether the guest finished it */
  collected(): { body: Buffer; finished: boolean } {
    return { body: Buffer.concat(this.chunks), finished: this.#body === null || this.#body.finished };
  }
}

export type ResponseResult = { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: unknown };

class ResponseOutparam {
  result: ResponseResult | null = null;
  static set(param: ResponseOutparam, response: ResponseResult): void {
    if (param.result) throw new Error('wasi:http: response-outparam set twice');
    param.result = response;
  }
}

class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #betweenBytes: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(d: bigint | undefined): void {
    this.#connect = d;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(d: bigint | undefined): void {
    this.#firstByte = d;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#betweenBytes;
  }
  setBetweenBytesTimeout(d: bigint | undefined): void {
    this.#betweenBytes = d;
  }
}

/** built so the guest can assemble a request, but never sent: outbound HTTP is denied */
class OutgoingRequest {
  #method: unknown = { tag: 'get' };
  #pathWithQuery: string | undefined;
  #scheme: unknown;
  #authority: string | undefined;
  #bodyTaken = false;
  constructor(private readonly fields: Fields) {
    fields.lock();
  }
  body(): OutgoingBody {
    if (this.#bodyTaken) throw undefined;
    this.#bodyTaken = true;
    return new OutgoingBody(discard);
  }
  method(): unknown {
    return this.#method;
  }
  setMethod(m: unknown): void {
    this.#method = m;
  }
  pathWithQuery(): string | undefined {
    return this.#pathWithQuery;
  }
  setPathWithQuery(p: string | undefined): void {
    this.#pathWithQuery = p;
  }
  scheme(): unknown {
    return this.#scheme;
  }
  setScheme(s: unknown): void {
    this.#scheme = s;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(a: string | undefined): void {
    this.#authority = a;
  }
  headers(): Fields {
    return this.fields;
  }
}

/** never created: outgoing-handler.handle always fails */
class FutureIncomingResponse {
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): unknown {
    return undefined;
  }
}
class IncomingResponse {}

// ---- wasi:filesystem (nothing preopened, so no descriptor ever exists) -------------------

class Descriptor {}

// ---- the import object -------------------------------------------------------------------

class TerminalInput {}
class TerminalOutput {}

/** import object for jco's instantiate(); stateless, so one serves every instance */
export function wasiHttpImports(): Record<string, unknown> {
  return {
    'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => ['component'], initialCwd: () => undefined },
    'wasi:cli/exit': { exit: () => { throw new Error('wasi:cli/exit called by the guest'); } },
    'wasi:cli/stdin': { getStdin: () => new InputStream(new Uint8Array(0)) },
    'wasi:cli/stdout': { getStdout: () => stdoutStream },
    'wasi:cli/stderr': { getStderr: () => stderrStream },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint(),
      resolution: () => 1n,
      subscribeInstant: (when: bigint) => new Pollable(when > 0n ? when : 1n),
      subscribeDuration: (d: bigint) => new Pollable(d > 0n ? process.hrtime.bigint() + d : 0n),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1e6 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1e6 }),
    },
    'wasi:filesystem/preopens': { getDirectories: () => [] },
    'wasi:filesystem/types': { Descriptor, filesystemErrorCode: () => undefined },
    'wasi:http/outgoing-handler': {
      handle: () => {
        throw { tag: 'HTTP-request-denied' };
      },
    },
    'wasi:http/types': {
      Fields, FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse,
      OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam,
      httpErrorCode: () => undefined,
    },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => randomBytes(Number(len)),
      getRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => randomBytes(Number(len)),
      getInsecureRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => Array.from(randomFillSync(new BigUint64Array(2))) },
  };
}

export interface GuestResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

interface IncomingHandler {
  handle(request: IncomingRequest, responseOut: ResponseOutparam): void;
}

const decoder = new TextDecoder();

/**
 * Runs one request through an instance's incoming-handler. The guest runs to completion inside
 * handle() (sync bindings: its event loop blocks in poll), so the response is whole on return.
 */
export function serveOne(handler: IncomingHandler, head: RequestHead): GuestResponse {
  const out = new ResponseOutparam();
  handler.handle(new IncomingRequest(head), out);
  const result = out.result;
  if (!result) throw new Error('the guest returned without setting a response');
  if (result.tag === 'err') throw new Error(`the guest answered with error-code ${JSON.stringify(result.val)}`);
  const response = result.val;
  const { body, finished } = response.collected();
  if (!finished) throw new Error('the guest returned before finishing the response body');
  return {
    status: response.statusCode(),
    headers: response.headers().entries().map(([name, value]) => [name, decoder.decode(value)]),
    body,
  };
}
