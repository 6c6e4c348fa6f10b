import { existsSync } from 'node:fs';
import { ENGINE_SERVER } from '../../harness/targets/kvm.ts';
import { clientBinary } from '../../harness/load/client-binary.ts';

// Engine tests skip where /dev/kvm (or what they need) is missing. In the test bed
// (ISOBENCH_REQUIRE_KVM=1) a skip would hide the very thing it exists to test, so it fails the
// test file loudly instead.
export function engineSkip(reason: string | false): string | false {
  if (reason && process.env.ISOBENCH_REQUIRE_KVM === '1') {
    throw new Error(`ISOBENCH_REQUIRE_KVM=1 (the test bed) but these engine tests would skip: ${reason}`);
  }
  return reason;
}

/** The skip of a test that runs a scenario's runtime under the engine server through the per-request
 * client: what is missing first (/dev/kvm, the engine server, the runtime, the client), or false. */
export function engineServerSkip(runtime: string, available: { ok: boolean; reason?: string }): string | false {
  return engineSkip(
    !existsSync('/dev/kvm')
      ? 'needs /dev/kvm'
      : !existsSync(process.env.ISOBENCH_ENGINE_SERVER || ENGINE_SERVER)
        ? 'engine server not built (make -C native)'
        : !available.ok
          ? `${runtime} unavailable: ${available.reason}`
          : !existsSync(clientBinary)
            ? 'per-request client not built (make -C native)'
            : false,
  );
}
