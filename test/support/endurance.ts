// Endurance tests send many requests to catch per-request leaks of host fds or memory. Under the
// test bed's emulation (QEMU TCG: about 1 ms per VM exit, several per request, 2-4x variance)
// 1,000 requests per mode outlast any sensible timeout, so the test bed (and nothing else) sets
// ISOBENCH_ENDURANCE_REQUESTS, and the time limits, which are hang detectors, scale with it.
const override = Number(process.env.ISOBENCH_ENDURANCE_REQUESTS);
const cut = Number.isInteger(override) && override > 0;

/** requests for an endurance run: `normal`, or the test bed's smaller count */
export function enduranceRequests(normal: number): number {
  return cut ? Math.min(normal, override) : normal;
}

/** a timeout for `requests` requests: `normalMs`, or in the test bed 1.5 s per request */
export function enduranceTimeoutMs(requests: number, normalMs: number): number {
  return cut ? Math.max(normalMs, requests * 1500) : normalMs;
}
