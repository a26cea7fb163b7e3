/**
 * The send loop with rate control: wait for tokens, build a batch, send it. One request is in
 * flight at a time (kafkajs idempotence needs maxInFlightRequests 1, and it keeps per-partition
 * order), but the next batch is generated and encoded while the previous one is on the wire.
 */
import type { Batch } from './batch.js';
import type { ProducerMetrics } from './metrics.js';

export interface SendLoopOptions {
  /** Stop after this many generated events (undefined: no limit). */
  count: number | undefined;
  batchSize: number;
  /** How long to let tokens accrue into a fuller batch at low rates. */
  lingerMs: number;
  /** Wall-clock time (ms) at which the run ends by itself (Infinity: never). */
  deadline: number;
  state: { readonly rate: number; readonly paused: boolean; readonly stopping: boolean };
  bucket: { waitMs(n: number): number; take(max: number): number };
  sleep(ms: number): Promise<void>;
  builder: { readonly generated: number; build(n: number): Batch };
  send(messages: Batch['messages']): Promise<boolean>;
  throughput: { acknowledged(b: Batch): void; lost(b: Batch): void };
  metrics: Pick<ProducerMetrics, 'batchSize'>;
  now?: () => number;
}

/** Runs until the count or deadline is reached, a stop, or a send given up on during a stop. */
export async function runSendLoop(o: SendLoopOptions): Promise<void> {
  const now = o.now ?? Date.now;
  let inFlight: { batch: Batch; sent: Promise<boolean> } | undefined;
  const settle = async (): Promise<boolean> => {
    if (!inFlight) return true;
    const { batch, sent } = inFlight;
    inFlight = undefined;
    if (await sent) {
      o.throughput.acknowledged(batch);
      return true;
    }
    o.throughput.lost(batch);
    return false;
  };
  while (!o.state.stopping) {
    if (o.count !== undefined && o.builder.generated >= o.count) break;
    if (now() >= o.deadline) break;
    if (o.state.paused) {
      if (!(await settle())) return;
      await o.sleep(Math.min(1000, o.deadline - now()));
      continue;
    }
    const want = Math.min(o.batchSize, o.count === undefined ? Infinity : o.count - o.builder.generated);
    const due = Math.max(1, Math.min(want, Math.floor((o.state.rate * o.lingerMs) / 1000)));
    const wait = o.bucket.waitMs(due);
    if (wait > 0) {
      await o.sleep(Math.max(1, Math.min(wait, o.deadline - now())));
      continue;
    }
    const batch = o.builder.build(o.bucket.take(want));
    if (!(await settle())) return;
    if (batch.messages.length === 0) continue;
    o.metrics.batchSize.observe(batch.messages.length);
    inFlight = { batch, sent: o.send(batch.messages) };
  }
  await settle();
}
