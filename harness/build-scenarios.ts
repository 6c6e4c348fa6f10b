// `npm run build:scenarios`: builds every scenario's artifacts (offline, cached), saying what it did.
import { scenarios } from '../scenarios/index.ts';

let failed = 0;
for (const scenario of scenarios) {
  const started = performance.now();
  try {
    await scenario.build();
    process.stdout.write(`build ${scenario.name}: ok (${Math.round(performance.now() - started)} ms)\n`);
  } catch (err) {
    failed++;
    process.stderr.write(`build ${scenario.name}: failed: ${(err as Error).message}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
