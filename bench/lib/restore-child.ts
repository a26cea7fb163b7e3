/**
 * The restore of the processor-restore bench, in a process of its own: a restarted processor
 * starts with an empty heap, while the bench's own process holds the task that wrote the
 * changelog and a copy of every record it sent (hundreds of MB that every major garbage
 * collection of an in-process restore would mark again). Run by the bench; also by hand to
 * profile a restore of a kept topic (`BENCH_RESTORE_KEEP=1`), e.g.
 * `node --cpu-prof dist/bench/lib/restore-child.js <group prefix>`.
 *
 * Prints one JSON line (RestoreChildResult) on stdout.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka/index.js';
import type { SalesAnomaly } from '../../lib/contracts/anomaly/schema.js';
import { environment } from '../../lib/config/index.js';
import { createLogger } from '../../lib/logger.js';
import { PROCESSOR_NAMES, topologyOf } from '../../processors/definitions.js';
import { processorConfig } from '../../processors/runtime/config.js';
import { processorMetrics } from '../../processors/runtime/metrics.js';
import { openTask } from '../../processors/runtime/open-task.js';

export interface RestoreChildResult {
  restoreSeconds: number;
  /** When the changelog read was complete (the rest is the rebuild). */
  readSeconds: number;
  next: number | undefined;
  dedupSize: number;
  dedupBytes: number;
  /** Heap in use once the task is open, MB. */
  heapMb: number;
}

/** `processor all`'s topology for a group prefix, as the bench builds its state with. */
export function benchTopology(groupPrefix: string) {
  const cfg = processorConfig({ groupPrefix }, environment());
  return { cfg, topology: topologyOf([...PROCESSOR_NAMES], cfg) };
}

/** `processor all` includes the anomalies operator, which needs an encoder; its output is not measured. */
export const benchAnomalies = {
  encode: (a: SalesAnomaly) => Buffer.from(JSON.stringify(a)),
};

async function main(groupPrefix: string): Promise<void> {
  environment()['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';
  const { cfg, topology } = benchTopology(groupPrefix);
  const kafka = createKafka('bench-processor-restore');
  const logger = createLogger('bench-processor-restore', { level: 'warn' });
  const started = performance.now();
  let readSeconds = 0;
  const task = await openTask(0, new AbortController().signal, {
    topology,
    cfg,
    kafka,
    metrics: processorMetrics(new Registry()),
    logger,
    mergePartitions: cfg.mergePartitions,
    anomalies: benchAnomalies,
    onProgress: (ratio) => {
      if (ratio >= 1 && readSeconds === 0) readSeconds = (performance.now() - started) / 1000;
    },
  });
  const restoreSeconds = (performance.now() - started) / 1000;
  const result: RestoreChildResult = {
    restoreSeconds,
    readSeconds,
    next: task.state.next.get(0),
    dedupSize: task.state.dedupSize(),
    dedupBytes: task.state.dedupBytes(),
    heapMb: process.memoryUsage().heapUsed / 1e6,
  };
  await task.producer.disconnect();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const prefix = process.argv[2];
  if (!prefix) {
    process.stderr.write('usage: restore-child.js <group prefix>\n');
    process.exit(2);
  }
  main(prefix).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
