/**
 * What the runtime hands a processor and what a processor hands back. A processor is pure window
 * logic over accepted events; the runtime owns Kafka, transactions, dedup, lateness and state.
 */

/** The fields of a sale event the processors use; this is also what the changelog stores. */
export interface CompactEvent {
  id: string;
  /** event time, epoch ms */
  t: number;
  store: string;
  sku: string;
  qty: number;
  price: number;
  basket: string;
}

/** One record of an aggregate topic: key and JSON value (null = tombstone). */
export interface OutRecord {
  topic: string;
  key: string;
  value: string | null;
  /** Explicit partition (a broadcast to every partition); by key hash when absent. */
  partition?: number;
  /**
   * The record replaces the previous value of its key (an update of an open window): a later one
   * for the same key in the same transaction supersedes it, so only the latest is written.
   */
  upsert?: boolean;
}

export type Emit = (record: OutRecord) => void;

export interface ProcessorLogic {
  /**
   * When the first window that contains event time `t` closes (its end plus the allowed lateness).
   * An event whose `closesAt` is at or before the watermark is late: it goes to the late topic.
   */
  closesAt(t: number): number;
  /** When the last window that contains `t` closes: the event (and its dedup entry) can be forgotten. */
  expiresAt(t: number): number;
  /** Fold an accepted event into the open windows. `restoring` = rebuilt from the changelog, not new. */
  add(e: CompactEvent, restoring: boolean): void;
  /**
   * Emit what changed since the last flush (updates of open windows, for processors that emit
   * them) and the final result of every window that closes at or before `watermark`, then forget
   * the closed windows.
   */
  flush(watermark: number, emit: Emit): void;
  /** After a restore: windows closing at or before `watermark` were already emitted. */
  restoredAt(watermark: number): void;
  /** Open windows (for the windows_open gauge). */
  openWindows(): number;
  /** Aggregate keys held (for the state_keys gauge). */
  stateKeys(): number;
  /** Windows closed since the last call (for the windows_closed counter). */
  takeClosedCount(): number;
  /**
   * State that is not a function of the replayed events (what an operator already forwarded),
   * when it changed since the last call; stored in the changelog next to the events.
   */
  takeSnapshot?(): string | undefined;
  /** After a restore's replay: apply the last snapshot. */
  restoreSnapshot?(value: string): void;
  /** The partition went idle (caught up, no records for a while): forward what is pending. */
  idle?(emit: Emit): void;
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export function floorTo(t: number, size: number): number {
  return Math.floor(t / size) * size;
}

export function iso(t: number): string {
  return new Date(t).toISOString();
}

/**
 * Base of the operators with hour windows (hourly, top SKUs partial): the hour of `t` closes, and
 * its state expires, at the hour's end plus the allowed lateness. Defined once so that both
 * operators close the same hours for the same input.
 */
export abstract class HourWindowLogic {
  constructor(protected readonly allowedLatenessMs: number) {}

  closesAt(t: number): number {
    return floorTo(t, HOUR) + HOUR + this.allowedLatenessMs;
  }

  expiresAt(t: number): number {
    return this.closesAt(t);
  }
}

/**
 * The inner map of a nested index at `key`, created empty when missing. Called once per event:
 * typed for maps and sets rather than taking a factory, so that no closure is made per call.
 */
export function innerMap<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Map();
    outer.set(key, inner);
  }
  return inner;
}

/** The inner set of an index at `key`, created empty when missing (see innerMap). */
export function innerSet<K, V>(outer: Map<K, Set<V>>, key: K): Set<V> {
  let inner = outer.get(key);
  if (!inner) {
    inner = new Set();
    outer.set(key, inner);
  }
  return inner;
}
