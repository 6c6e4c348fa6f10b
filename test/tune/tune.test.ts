// Tune over FIXTURE rows (made-up engine counters): point extraction, the recommendation within a
// memory budget, the chart, the sweep section the views read, and a clean skip without kvm-hybrid.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pointFromRow, recommendThreshold, recommendWorkers, serverFlags } from '../../harness/tune/sweep.ts';
import { thresholdChart } from '../../harness/tune/chart.ts';
import { parseSize, parseSizeList, parseCountList, formatSize, DEFAULT_THRESHOLDS_BYTES } from '../../harness/tune/sizes.ts';
import { runTune, tuneAvailability, THRESHOLD_SETTING } from '../../harness/tune/tune.ts';
import type { RunBenchmark, BenchOptions } from '../../harness/gate/bench.ts';
import type { TunePoint } from '../../harness/tune/types.ts';
import { readSweeps } from '../../reports/results/sections.ts';
import { unavailableTarget } from '../../harness/targets/unavailable.ts';
import { pythonWsgi } from '../../scenarios/python-wsgi/index.ts';
import type { EngineCounters } from '../../reports/results/types.ts';
import { fixtureDocument, fixtureRow } from '../gate/fixture-documents.ts';

const MiB = 1024 * 1024;

function counters(full: number, pages: number, rssMiB: number, resetMean = 50): EngineCounters {
  return {
    mode: 'hybrid',
    requests: full + pages,
    resets: { pages, full },
    resetUs: { p50: resetMean, p90: resetMean, p99: resetMean * 2, p999: resetMean * 3, max: resetMean * 4, mean: resetMean },
    workerRssBytes: rssMiB * MiB,
  };
}

const point = (thresholdBytes: number, p99Us: number | undefined, rssMiB?: number): TunePoint => ({
  thresholdBytes,
  workers: 1,
  connections: 1,
  status: 'ok',
  p50Us: 100,
  ...(p99Us !== undefined ? { p99Us } : {}),
  ...(rssMiB !== undefined ? { workerRssBytes: rssMiB * MiB } : {}),
});

describe('sizes', () => {
  it('parses and formats binary sizes', () => {
    assert.equal(parseSize('64K'), 65536);
    assert.equal(parseSize('4MiB'), 4 * MiB);
    assert.equal(parseSize('1048576'), MiB);
    assert.equal(formatSize(64 * MiB), '64M');
    assert.deepEqual(DEFAULT_THRESHOLDS_BYTES.map(formatSize), ['64K', '256K', '1M', '4M', '16M', '64M']);
    assert.deepEqual(parseSizeList('1M,64K,1M', '--thresholds'), [65536, MiB]);
    assert.throws(() => parseSizeList('64Q', '--thresholds'), /--thresholds: "64Q" is not a size/);
    assert.throws(() => parseCountList('1,0', '--workers', 64), /"0" is not a whole number from 1 to 64/);
  });
});

describe('sweep points', () => {
  it('reads p50/p99, full-reset fraction, reset µs and worker RSS from a row', () => {
    const row = fixtureRow({ target: 'kvm-hybrid', p: [500, 600, 900, 1200], engineCounters: counters(25, 75, 40, 80) });
    const p = pointFromRow(row, 1 * MiB, 1, 1);
    assert.equal(p.status, 'ok');
    assert.equal(p.p99Us, 900);
    assert.equal(p.fullResetFraction, 0.25);
    assert.equal(p.resetUs, 80);
    assert.equal(p.workerRssBytes, 40 * MiB);
  });

  it('carries a skipped row\'s reason', () => {
    const p = pointFromRow(fixtureRow({ target: 'kvm-hybrid', status: 'skipped', reason: 'no /dev/kvm' }), MiB, 1, 1);
    assert.deepEqual([p.status, p.reason], ['skipped', 'no /dev/kvm']);
  });
});

describe('recommendation', () => {
  it('picks the lowest p99 within the worker memory budget', () => {
    const points = [point(64 * 1024, 2000, 20), point(MiB, 1200, 40), point(16 * MiB, 900, 90)];
    assert.equal(recommendThreshold(points).chosen?.thresholdBytes, 16 * MiB);
    const r = recommendThreshold(points, 64 * MiB);
    assert.equal(r.chosen?.thresholdBytes, MiB);
    assert.match(r.reason, /within 64\.0 MiB worker RSS/);
  });

  it('treats p99s within 5% as equal and prefers less memory', () => {
    const r = recommendThreshold([point(64 * 1024, 1000, 20), point(MiB, 980, 60)]);
    assert.equal(r.chosen?.thresholdBytes, 64 * 1024);
  });

  it('says why there is none: nothing fits, or no RSS was reported', () => {
    assert.match(recommendThreshold([point(MiB, 900, 90)], 64 * MiB).reason, /no point fits 64\.0 MiB per worker \(the least was 90\.0 MiB\)/);
    assert.match(recommendThreshold([point(MiB, 900)], 64 * MiB).reason, /reported no worker RSS/);
    assert.equal(recommendThreshold([point(MiB, 900)]).chosen?.thresholdBytes, MiB);
  });

  it('recommends the fewest workers within 5% of the best throughput', () => {
    const w = (workers: number, rps: number) => ({ workers, connections: workers, status: 'ok' as const, rps, workerRssBytes: 30 * MiB });
    const r = recommendWorkers([w(1, 1000), w(2, 1900), w(4, 1950)]);
    assert.equal(r.chosen?.workers, 2);
    assert.match(r.reason, /about 60\.0 MiB for all workers/);
    assert.equal(serverFlags(MiB, 2), '--reset hybrid --reset-threshold 1048576 --workers 2');
  });
});

describe('runTune with a fixture runner', () => {
  // a FIXTURE runner: p99 falls then rises with the threshold, RSS grows with it
  const shape: Record<number, [number, number]> = { [64 * 1024]: [1500, 20], [MiB]: [1000, 35], [16 * MiB]: [800, 120] };
  const calls: BenchOptions[] = [];
  const run: RunBenchmark = async (options) => {
    calls.push(options);
    const t = options.scenarioSettings![THRESHOLD_SETTING] as number;
    const workers = options.scenarioSettings!.workers as number;
    const [p99, rss] = shape[t];
    return fixtureDocument([{ target: 'kvm-hybrid', p: [400, 500, p99, p99 * 2], rps: 1000 * Math.min(workers, 2), engineCounters: counters(t < MiB ? 50 : 5, 50, rss) }]);
  };

  it('sweeps thresholds then workers, recommends within budget and builds the sweep section', async () => {
    const outcome = await runTune(
      { scenario: 'python-wsgi', thresholdsBytes: Object.keys(shape).map(Number), thresholdWorkers: 1, workers: [1, 2, 4], maxWorkerRssBytes: 64 * MiB, durationSec: 1 },
      run,
    );
    assert.equal(outcome.thresholdSweep.recommendedThresholdBytes, MiB);
    assert.equal(outcome.thresholdSweep.flags, '--reset hybrid --reset-threshold 1048576 --workers 1');
    assert.equal(outcome.workerSweep?.recommendedWorkers, 2);
    assert.equal(calls.length, 3 + 2, 'the 1-worker point at the chosen threshold is reused');
    assert.deepEqual(calls[0].targets, ['kvm-hybrid']);
    const views = readSweeps(outcome.document.sweep);
    assert.equal(views.length, 1, 'the views chart the threshold sweep; the worker sweep has no thresholds per point');
    assert.equal(views[0].recommendedThresholdBytes, MiB);
    assert.equal(outcome.document.runs.length, 5);
    const chart = thresholdChart(outcome.thresholdSweep);
    assert.match(chart, /1M .*◀/);
    assert.match(chart, /server flags: --reset hybrid --reset-threshold 1048576/);
  });

  it('stops after the first point when the target is skipped', async () => {
    let n = 0;
    const skipped: RunBenchmark = async () => {
      n++;
      return fixtureDocument([{ target: 'kvm-hybrid', status: 'skipped', reason: 'engine not built' }]);
    };
    const outcome = await runTune({ scenario: 'python-wsgi', thresholdsBytes: [MiB, 4 * MiB], thresholdWorkers: 1, workers: [1, 2] }, skipped);
    assert.equal(n, 1);
    assert.equal(outcome.thresholdSweep.recommendedThresholdBytes, undefined);
    assert.match(outcome.thresholdSweep.recommendation, /no recommendation/);
  });
});

describe('availability', () => {
  it('reports the reason kvm-hybrid cannot run', async () => {
    const a = await tuneAvailability(pythonWsgi, [unavailableTarget('kvm-hybrid', 'x', 'the KVM engine target is not built yet')]);
    assert.deepEqual(a, { ok: false, reason: 'kvm-hybrid is not available: the KVM engine target is not built yet' });
    assert.deepEqual(await tuneAvailability(pythonWsgi, []), { ok: false, reason: 'target kvm-hybrid is not registered in this build' });
  });
});
