// node:test reporter: one JSON line per test start and end ({event, file, name, status, durationMs,
// reason}) so a run's results survive as a file. The test bed reads it out of its VM (and finds a
// hung test as a start without an end). Plain .mjs: reporters load before any TypeScript loader.
export default async function* jsonlReporter(source) {
  for await (const event of source) {
    const d = event.data ?? {};
    const base = { file: d.file, name: d.name, nesting: d.nesting };
    if (event.type === 'test:start') {
      yield `${JSON.stringify({ event: 'start', ...base, at: Date.now() })}\n`;
    } else if (event.type === 'test:pass' || event.type === 'test:fail') {
      const skipped = d.skip !== undefined && d.skip !== false;
      const status = event.type === 'test:fail' ? 'failed' : skipped ? 'skipped' : d.todo ? 'todo' : 'passed';
      const reason = skipped && typeof d.skip === 'string' ? d.skip : event.type === 'test:fail' ? String(d.details?.error?.cause?.message ?? d.details?.error?.message ?? '').split('\n')[0] : undefined;
      // a suite (describe) reports type 'suite' in details; the test bed counts leaf tests only
      const kind = d.details?.type === 'suite' ? 'suite' : 'test';
      yield `${JSON.stringify({ event: 'end', ...base, kind, status, durationMs: Math.round((d.details?.duration_ms ?? 0) * 10) / 10, ...(reason ? { reason } : {}) })}\n`;
    }
  }
}
