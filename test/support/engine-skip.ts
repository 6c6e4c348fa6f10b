// Engine tests skip where /dev/kvm (or what they need) is missing. In the test bed
// (ISOBENCH_REQUIRE_KVM=1) a skip would hide the very thing it exists to test, so it fails the
// test file loudly instead.
export function engineSkip(reason: string | false): string | false {
  if (reason && process.env.ISOBENCH_REQUIRE_KVM === '1') {
    throw new Error(`ISOBENCH_REQUIRE_KVM=1 (the test bed) but these engine tests would skip: ${reason}`);
  }
  return reason;
}
