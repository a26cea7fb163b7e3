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
  /** JSON text, or encoded bytes (the anomalies' Avro); null = tombstone. */
  value: string | Buffer | null;
  /** Explicit partition (a broadcast to every partition); by key hash when absent. */
  partition?: number;
  /**
   * The record replaces the previous value of its key (an update of an open window): a later one
   * for the same key in the same transaction supersedes it, so only the latest is written.
   */
  upsert?: boolean;
}

export type Emit = (record: OutRecord) => void;

/**
 * Whether `key` is seen for the first time within the dedup horizon (then it is remembered):
 * how operators count distinct baskets without holding basket ids per window.
 */
export type FirstSight = (key: string) => boolean;

/** A changed state key of an operator (value null = the key is gone). */
export type StateChange = (key: string, value: string | null) => void;

export interface ProcessorLogic {
  /**
   * When the first window that contains event time `t` closes (its end plus the allowed lateness).
   * An event whose `closesAt` is at or before the watermark is late: it goes to the late topic.
   */
  closesAt(t: number): number;
  /** When the last window that contains `t` closes. */
  expiresAt(t: number): number;
  /** Fold an accepted event into the open windows. */
  add(e: CompactEvent, firstSight: FirstSight): void;
  /**
   * Emit what changed since the last flush (updates of open windows, for processors that emit
   * them) and the final result of every window that closes at or before `watermark`, then forget
   * the closed windows.
   */
  flush(watermark: number, emit: Emit): void;
  /**
   * The state keys changed since the last call, with their compact values (null for keys whose
   * window closed): the operator's part of the changelog, so that a restore reads the state
   * itself (O(keys)), not the events that built it.
   */
  takeChanges(change: StateChange): void;
  /**
   * A restore: one live state key written by takeChanges. The value is the changelog record's
   * bytes (a view, valid during the call) or its text; row.ts parseRow reads both.
   */
  restoreEntry(key: string, value: Buffer | string): void;
  /** After a restore's entries: windows closing at or before `watermark` were already emitted. */
  restoredAt(watermark: number): void;
  /** Open windows (for the windows_open gauge). */
  openWindows(): number;
  /** Aggregate keys held (for the state_keys gauge). */
  stateKeys(): number;
  /** Windows closed since the last call (for the windows_closed counter). */
  takeClosedCount(): number;
  /**
   * State outside the keys (what an operator already forwarded), when it changed since the last
   * call; stored in the changelog as one record.
   */
  takeSnapshot?(): string | undefined;
  /** After a restore's entries: apply the last snapshot. */
  restoreSnapshot?(value: string): void;
  /** A restore replayed events of the legacy event-sourced changelog (before restoreSnapshot). */
  replayedEvents?(): void;
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
