// `isobench list`: scenarios and targets, each with its availability (and why not).
import type { Command } from './command.ts';
import { Flags } from './flags.ts';
import { scenarios } from '../../scenarios/index.ts';
import { targets } from '../targets/index.ts';

const help = `usage: isobench list [--json]

Lists the scenarios (with their routes and runtime) and the targets (with whether each can run
each scenario here, and why not).

  --json   machine-readable output
  --help   this text`;

export async function inventory() {
  const scenarioInfo = await Promise.all(
    scenarios.map(async (s) => ({
      name: s.name,
      description: s.description,
      routes: s.routes.map((r) => ({ name: r.name, path: r.path })),
      probePath: s.probePath,
      availability: await s.availability(),
    })),
  );
  const targetInfo = await Promise.all(
    targets.map(async (t) => ({
      name: t.name,
      description: t.description,
      clientMode: t.clientMode,
      expectsIsolation: t.expectsIsolation,
      availability: Object.fromEntries(await Promise.all(scenarios.map(async (s) => [s.name, await t.availability(s)] as const))),
    })),
  );
  return { scenarios: scenarioInfo, targets: targetInfo };
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list scenarios and targets with their availability',
  help,
  async run(argv) {
    const { values } = new Flags({ command: 'list' }).parse(argv, { json: { type: 'boolean' } });
    const inv = await inventory();
    if (values.json) {
      process.stdout.write(JSON.stringify(inv, null, 2) + '\n');
      return 0;
    }
    const out: string[] = ['scenarios:'];
    for (const s of inv.scenarios) {
      const a = s.availability;
      out.push(`  ${s.name.padEnd(16)} ${a.ok ? `available (${a.version})` : `unavailable: ${a.reason}`}`);
      out.push(`  ${''.padEnd(16)} routes: ${s.routes.map((r) => `${r.name} ${r.path}`).join(', ')}; probe ${s.probePath}`);
    }
    out.push('targets:');
    for (const t of inv.targets) {
      const verdicts = Object.entries(t.availability);
      const reasons = [...new Set(verdicts.map(([, a]) => (a.ok ? 'available' : `unavailable: ${a.reason}`)))];
      const status = reasons.length === 1 ? reasons[0] : verdicts.map(([s, a]) => `${s}: ${a.ok ? 'available' : `unavailable: ${a.reason}`}`).join('; ');
      out.push(`  ${t.name.padEnd(16)} ${status}`);
      out.push(`  ${''.padEnd(16)} ${t.description} (client: ${t.clientMode})`);
    }
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
