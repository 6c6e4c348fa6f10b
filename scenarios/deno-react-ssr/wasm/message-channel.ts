// StarlingMonkey has no MessageChannel, and react-dom/server's browser build creates one at
// module load to schedule work. renderToString never awaits scheduled work, but the module
// must load, so give it a minimal channel that delivers messages on a macrotask.
type Listener = ((event: { data: unknown }) => void) | null;

class Port {
  onmessage: Listener = null;
  other: Port | null = null;
  postMessage(data: unknown): void {
    const target = this.other;
    setTimeout(() => target?.onmessage?.({ data }), 0);
  }
  close(): void {}
  start(): void {}
}

class MessageChannelPolyfill {
  port1 = new Port();
  port2 = new Port();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

const scope = globalThis as Record<string, unknown>;
if (typeof scope.MessageChannel === 'undefined') scope.MessageChannel = MessageChannelPolyfill;
