// The scenario's server run directly on the host: the baseline every other target is compared to.
import type { Target, TargetContext, RunningServer } from './target.ts';
import { startServerProcess } from '../process.ts';
import { runningServer } from './served.ts';

export const DEFAULT_READY_TIMEOUT_MS = 30_000;

export const nativeTarget: Target = {
  name: 'native',
  description: 'the scenario server as a plain host process (no isolation)',
  // Same client as the reset-per-request targets, so rows compare like for like;
  // `--client keepalive` measures the keep-alive number.
  clientMode: 'per-request',
  expectsIsolation: false,

  async availability(scenario) {
    const a = await scenario.availability();
    return a.ok ? { ok: true, engine: `native (${a.version})` } : { ok: false, reason: a.reason };
  },

  async start(ctx: TargetContext): Promise<RunningServer> {
    const { scenario, settings } = ctx;
    const spec = scenario.launch(settings);
    const name = `${scenario.name}/native`;
    const base = `http://${settings.host}:${settings.port}`;
    const readyTimeoutMs = typeof settings.readyTimeoutMs === 'number' ? settings.readyTimeoutMs : DEFAULT_READY_TIMEOUT_MS;
    const proc = await startServerProcess({
      name,
      argv: spec.argv,
      env: spec.env,
      cwd: spec.cwd,
      cpus: ctx.serverCpus,
      readyUrl: base + scenario.routes[0]!.path,
      readyTimeoutMs,
      log: ctx.log,
      signal: ctx.signal,
    });
    return runningServer(proc, { url: base, label: name });
  },
};
