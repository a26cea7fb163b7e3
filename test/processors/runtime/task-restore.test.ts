/**
 * The one-walk restore over changelog records as the partition reader hands them over (values as
 * bytes): a task restored at any point of a stream, with every operator of `processor all` and
 * the default settings, goes on exactly as the task that wrote the changelog — the same outputs,
 * late records and changelog records after the restore — whether the values are bytes or text.
 */
import { describe, expect, it } from 'vitest';
import type { SalesAnomaly } from '../../../lib/contracts/anomaly/schema.js';
import { PROCESSOR_NAMES, createOperators, topologyOf } from '../../../processors/definitions.js';
import { processorConfig } from '../../../processors/runtime/config.js';
import { TaskState } from '../../../processors/runtime/task.js';
import type { BatchOutcome, TaskRecord } from '../../../processors/runtime/task.js';
import type { CompactEvent } from '../../../processors/runtime/types.js';
import { seededRandom } from '../helpers/expected.js';

const cfg = processorConfig({ groupPrefix: 'restore-test' }, {});
const topology = topologyOf([...PROCESSOR_NAMES], cfg);
const encode = (a: SalesAnomaly) => Buffer.from(JSON.stringify(a));

function newTask(): TaskState {
  const operators = createOperators(topology.operators, cfg, {
    partition: 0,
    partialsTopic: topology.partialsTopic,
    mergePartitions: cfg.mergePartitions,
    anomalies: { encode },
  });
  return new TaskState(operators, {
    partitions: [0],
    outOfOrderMs: cfg.outOfOrderMs,
    dedupHorizonMs: cfg.dedupHorizonMs,
  });
}

/** 3 hours of a few stores and SKUs: baskets, returns, duplicates, late events. */
function stream(n: number): CompactEvent[] {
  const rnd = seededRandom(99);
  const t0 = Date.UTC(2025, 0, 6, 8, 0, 0);
  const out: CompactEvent[] = [];
  for (let i = 0; out.length < n; i++) {
    const t = t0 + i * 4_000 - Math.floor(rnd() * 8_000);
    const store = `S${Math.floor(rnd() * 4)}`;
    const lines = 1 + Math.floor(rnd() * 3);
    for (let l = 0; l < lines; l++) {
      const e: CompactEvent = {
        id: `e${i}-${l}`,
        t: i % 301 === 0 ? t - 3_600_000 : t,
        store,
        sku: `K${Math.floor(rnd() * 6)}`,
        qty: rnd() < 0.1 ? -1 : 1 + Math.floor(rnd() * 3),
        price: 100 + Math.floor(rnd() * 900),
        basket: `B${i}`,
      };
      out.push(e);
      if (rnd() < 0.03) out.push({ ...e });
    }
  }
  return out;
}

/**
 * A batch's outcome, its records sorted: a restore rebuilds the operators' maps in changelog order,
 * so records of different keys in one transaction may come in another order (as they did before
 * the one-walk restore); each key's value is what counts.
 */
const show = (o: BatchOutcome) => ({
  outputs: o.outputs.map((r) => `${r.topic}|${r.partition ?? ''}|${r.key}|${String(r.value)}`).sort(),
  late: o.late.map((l) => `${l.operator}|${l.offset}`),
  changelog: o.changelog
    .map((c) => `${c.key}=${c.value === null ? 'null' : Buffer.from(c.value).toString('base64')}`)
    .sort(),
  watermark: o.watermark,
});

function run(crashAt: number | undefined, asBytes: boolean) {
  const events = stream(8_000);
  let task = newTask();
  const changelog = new Map<string, Buffer | string>();
  const after: ReturnType<typeof show>[] = [];
  for (let i = 0, n = 0; i < events.length; i += 250, n++) {
    const records: TaskRecord[] = events.slice(i, i + 250).map((event, j) => ({ offset: i + j, event }));
    const out = task.processBatch(0, records, i + records.length - 1);
    if (crashAt !== undefined && n > crashAt) after.push(show(out));
    for (const c of out.changelog) {
      if (c.value === null) changelog.delete(c.key);
      else changelog.set(c.key, asBytes ? Buffer.from(c.value) : c.value);
    }
    if (n === crashAt) {
      task = newTask();
      task.restoreSync(new Map(changelog));
      expect(task.next.get(0)).toBe(i + records.length);
    }
  }
  return { after, dedup: task.dedupSize(), watermark: task.watermark() };
}

describe('TaskState.restore over the changelog records of processor all', () => {
  it.each([3, 10, 20, 28])(
    'restored after batch %i, it goes on as the task that wrote the changelog',
    (crashAt) => {
      const restored = run(crashAt, true);
      const straight = run(undefined, true);
      const uninterrupted = { ...straight, after: [] as ReturnType<typeof show>[] };
      // The same batches after the crash point, from a task that never crashed.
      const events = stream(8_000);
      const task = newTask();
      for (let i = 0, n = 0; i < events.length; i += 250, n++) {
        const records: TaskRecord[] = events.slice(i, i + 250).map((event, j) => ({ offset: i + j, event }));
        const out = task.processBatch(0, records, i + records.length - 1);
        if (n > crashAt) uninterrupted.after.push(show(out));
      }
      expect(restored.after.length).toBeGreaterThan(0);
      expect(restored.after.some((o) => o.outputs.length > 0)).toBe(true);
      // The first batch after a restore also tombstones what the restore found over (expired dedup
      // chunks): compare it without tombstones of dedup chunks, and every later batch exactly.
      const [first, ...rest] = restored.after;
      const [firstU, ...restU] = uninterrupted.after;
      const noChunkTombstones = (c: string[]) =>
        c.filter((x) => !(x.startsWith('r/') && x.endsWith('=null')));
      expect({ ...first, changelog: noChunkTombstones(first?.changelog ?? []) }).toEqual({
        ...firstU,
        changelog: noChunkTombstones(firstU?.changelog ?? []),
      });
      expect(rest).toEqual(restU);
      expect(restored.dedup).toBe(straight.dedup);
      expect(restored.watermark).toBe(straight.watermark);
    },
  );

  it('restores the same from bytes as from text', () => {
    expect(run(20, true)).toEqual(run(20, false));
  });

  it('the restore that fills the dedup tables beside the operators gives the task the sync one gives', async () => {
    const events = stream(8_000);
    const writer = newTask();
    const changelog = new Map<string, Buffer | string>();
    const batches: TaskRecord[][] = [];
    for (let i = 0; i < events.length; i += 250)
      batches.push(events.slice(i, i + 250).map((event, j) => ({ offset: i + j, event })));
    for (const records of batches.slice(0, 20)) {
      const out = writer.processBatch(0, records, (records.at(-1) as TaskRecord).offset);
      for (const c of out.changelog)
        if (c.value === null) changelog.delete(c.key);
        else changelog.set(c.key, Buffer.from(c.value));
    }
    const sync = newTask();
    const loadedSync = sync.restoreSync(new Map(changelog));
    const parallel = newTask();
    const loaded = await parallel.restore(new Map(changelog));
    expect(loaded).toBe(loadedSync);
    expect(parallel.dedupSize()).toBe(writer.dedupSize());
    expect(parallel.dedupSize()).toBeGreaterThan(0);
    for (const records of batches.slice(20)) {
      const last = (records.at(-1) as TaskRecord).offset;
      expect(show(parallel.processBatch(0, records, last))).toEqual(
        show(sync.processBatch(0, records, last)),
      );
    }
  });
});
