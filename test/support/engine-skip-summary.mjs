// node:test reporter for npm test: counts tests skipped for want of /dev/kvm and ends the run with
// one line that says so and how to run them on the hardware path (the QEMU test bed).
export default async function* engineSkipSummary(source) {
  let skipped = 0;
  const files = new Set();
  for await (const event of source) {
    if (event.type !== 'test:pass') continue;
    const d = event.data ?? {};
    if (d.details?.type !== 'suite' && typeof d.skip === 'string' && /\/dev\/kvm/.test(d.skip)) {
      skipped++;
      if (d.file) files.add(d.file.replace(/^.*\/test\//, 'test/'));
    }
  }
  if (skipped > 0) {
    yield `\nENGINE TESTS SKIPPED: ${skipped} engine tests in ${files.size} file(s) did not run (no usable /dev/kvm here). ` +
      'Run them on the hardware path in the QEMU test bed: npm run test:vm\n';
  }
}
