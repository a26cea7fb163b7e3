/**
 * The state of one task — one input partition — and what a batch does to it. No Kafka here: the
 * runner feeds decoded records in and writes what comes out (aggregate updates, late records,
 * changelog entries) in a transaction. A task runs every operator of the topology (hourly, the
 * first stage of top SKUs, rolling) over one decoding and one dedup set.
 *
 * The changelog holds the state itself, so a restore reads O(state), not O(events seen):
 * - `k/<operator>/<key>`: each operator's aggregates (hourly per hour × store × SKU, rolling per
 *   store × minute, top SKUs per hour × SKU), written in the transaction that changed them and
 *   tombstoned in the one whose watermark closed them;
 * - `r/<slot>/<partition>/<offset>`: the fingerprints the dedup horizon holds (event ids and the
 *   basket pairs operators count orders with, recent.ts), 16 bytes each, tombstoned per generation;
 * - `m/<partition>`: next input offset and max event time; `o/<operator>`: operator snapshots.
 * The topic is compacted with short segments (app.ts), so what a restore reads beyond the live
 * keys is the last minutes' updates. The next offset comes from the same transactions as the
 * state, so state and position can never disagree.
 *
 * Changelogs written by earlier versions (event segments `s/…`) are still restored, by replaying
 * their events; the first transaction after such a restore writes the keyed state and tombstones
 * the segments.
 */
import { FP_BYTES, RecentSet } from './recent.js';
import type { GenerationChunks } from './recent.js';
import type { CompactEvent, Emit, FirstSight, OutRecord, ProcessorLogic } from './types.js';

export interface TaskOptions {
  partitions: number[];
  outOfOrderMs: number;
  /** How long (watermark time) an event id and the baskets it counted are remembered. */
  dedupHorizonMs: number;
}

export interface Operator {
  name: string;
  logic: ProcessorLogic;
}

export interface TaskRecord {
  offset: number;
  event: CompactEvent;
  /**
   * When the record was accepted (its Kafka timestamp). The watermark advances by min(event time,
   * accepted at): an event from a client whose clock runs ahead still counts in its own window but
   * cannot close windows early and make other clients' on-time events late.
   */
  acceptedAt?: number;
}

export interface ChangelogEntry {
  key: string;
  value: string | Buffer | null;
}

export interface LateRecord {
  offset: number;
  operator: string;
  watermark: number;
  closesAt: number;
}

export interface BatchOutcome {
  outputs: OutRecord[];
  /** Records late for an operator (one entry per operator that found the record late). */
  late: LateRecord[];
  changelog: ChangelogEntry[];
  /** Records accepted by at least one operator. */
  accepted: number;
  /** Records accepted, per operator. */
  acceptedBy: Map<string, number>;
  duplicates: number;
  skipped: number;
  watermark: number;
  /** Windows closed per operator. */
  windowsClosed: Map<string, number>;
}

interface Meta {
  next: number;
  max: number | null;
}

/** Legacy event segment row: id, time, store, sku, qty, price, basket, mask of accepting operators. */
type SegmentRow = [string, number, string, string, number, number, string, number?];

const metaKey = (p: number) => `m/${p}`;
/** First characters of the changelog's key kinds (`k/`, `r/`, `m/`, `o/`, `s/`). */
const [K, R, M, O, S, SLASH] = [...'krmos/'].map((c) => c.charCodeAt(0)) as [
  number,
  number,
  number,
  number,
  number,
  number,
];
const snapshotKey = (operator: string) => `o/${operator}`;
const stateKeyPrefix = (operator: string) => `k/${operator}/`;

/** The slot (watermark time covered by one generation of the dedup set) for a horizon. */
export function recentSlotMs(horizonMs: number): number {
  return Math.max(1_000, Math.ceil(horizonMs / 4));
}

export class TaskState {
  private readonly maxEventTime = new Map<number, number>();
  /** Next input offset per partition, as of the last processed (or restored) batch. */
  readonly next = new Map<number, number>();
  private readonly recent: RecentSet;
  /** Expiry of the event being processed: what FirstSight remembers its keys until. */
  private currentExpiry = 0;
  private readonly firstSight: FirstSight;
  /** Keys read by the restore that are no longer state (legacy segments, expired dedup chunks), tombstoned by the next batch. */
  private legacy: string[] = [];
  readonly operators: Operator[];
  /** Where the last restore filled the dedup tables (a worker thread, unless none could run). */
  dedupLoadedIn: Awaited<ReturnType<RecentSet['restoreGenerations']>> | undefined;

  constructor(
    operators: Operator[] | ProcessorLogic,
    private readonly options: TaskOptions,
  ) {
    this.operators = Array.isArray(operators) ? operators : [{ name: 'default', logic: operators }];
    if (this.operators.length > 30) throw new Error('at most 30 operators per task');
    this.recent = new RecentSet(recentSlotMs(options.dedupHorizonMs));
    this.firstSight = (key) => this.recent.firstSight(key, this.currentExpiry);
  }

  /** The first operator's logic (single-operator tasks and tests). */
  get logic(): ProcessorLogic {
    return (this.operators[0] as Operator).logic;
  }

  /** Minimum over the task's partitions of (max event time − out-of-order bound); −∞ until each has data. */
  watermark(): number {
    let wm = Infinity;
    for (const p of this.options.partitions) {
      const max = this.maxEventTime.get(p);
      if (max === undefined) return -Infinity;
      wm = Math.min(wm, max - this.options.outOfOrderMs);
    }
    return wm === Infinity ? -Infinity : wm;
  }

  partitionWatermark(p: number): number | undefined {
    const max = this.maxEventTime.get(p);
    return max === undefined ? undefined : max - this.options.outOfOrderMs;
  }

  /** Fingerprints held by the dedup horizon (event ids and basket pairs). */
  dedupSize(): number {
    return this.recent.size();
  }

  /** Memory of the dedup horizon's tables, bytes. */
  dedupBytes(): number {
    return this.recent.bytes();
  }

  private emptyOutcome(): BatchOutcome {
    return {
      outputs: [],
      late: [],
      changelog: [],
      accepted: 0,
      acceptedBy: new Map(),
      duplicates: 0,
      skipped: 0,
      watermark: -Infinity,
      windowsClosed: new Map(),
    };
  }

  /** When the keys of an event accepted at watermark `wm` leave the dedup horizon. */
  private expiryAt(wm: number, t: number): number {
    return (Number.isFinite(wm) ? wm : t) + this.options.dedupHorizonMs;
  }

  /**
   * Apply one batch of one partition. `lastOffset` is the batch's last offset (records after
   * `records`' last may have been dead letters). The state is changed in place: if the transaction
   * that carries the outcome fails, the runner must drop this state and restore.
   */
  processBatch(partition: number, records: TaskRecord[], lastOffset: number): BatchOutcome {
    const out = this.emptyOutcome();
    const from = this.next.get(partition) ?? -1;
    let firstOffset: number | undefined;
    for (const r of records) {
      if (r.offset < from) {
        out.skipped++;
        continue;
      }
      firstOffset ??= r.offset;
      const e = r.event;
      if (this.recent.has(e.id)) {
        out.duplicates++;
        continue;
      }
      const wm = this.watermark();
      this.currentExpiry = this.expiryAt(wm, e.t);
      let accepted = false;
      for (let i = 0; i < this.operators.length; i++) {
        const op = this.operators[i] as Operator;
        const closesAt = op.logic.closesAt(e.t);
        if (closesAt <= wm) {
          out.late.push({ offset: r.offset, operator: op.name, watermark: wm, closesAt });
          continue;
        }
        if (!accepted) {
          // The id first: the fingerprint `has` computed is the event's.
          this.recent.addLast(this.currentExpiry);
          accepted = true;
        }
        out.acceptedBy.set(op.name, (out.acceptedBy.get(op.name) ?? 0) + 1);
        op.logic.add(e, this.firstSight);
      }
      if (accepted) out.accepted++;
      const clock = r.acceptedAt !== undefined && r.acceptedAt > 0 ? Math.min(e.t, r.acceptedAt) : e.t;
      const max = this.maxEventTime.get(partition);
      if (max === undefined || clock > max) this.maxEventTime.set(partition, clock);
    }
    const wm = this.watermark();
    out.watermark = wm;
    const emit: Emit = (rec) => out.outputs.push(rec);
    for (const op of this.operators) {
      op.logic.flush(wm, emit);
      out.windowsClosed.set(op.name, op.logic.takeClosedCount());
    }
    for (const key of this.recent.expire(wm)) out.changelog.push({ key, value: null });
    for (const key of this.legacy) out.changelog.push({ key, value: null });
    this.legacy = [];
    this.takeChanges(out.changelog);
    for (const c of this.recent.takeChunks(`${partition}/${firstOffset ?? lastOffset}`))
      out.changelog.push(c);
    this.takeSnapshots(out.changelog);
    const next = Math.max(lastOffset + 1, from);
    this.next.set(partition, next);
    const meta: Meta = { next, max: this.maxEventTime.get(partition) ?? null };
    out.changelog.push({ key: metaKey(partition), value: JSON.stringify(meta) });
    return out;
  }

  /**
   * The partition is idle: operators forward what they hold back (top SKUs' partial sums), and
   * their state changes and snapshots record it. Returns undefined when no operator had anything to do.
   */
  idle(): BatchOutcome | undefined {
    const out = this.emptyOutcome();
    out.watermark = this.watermark();
    const emit: Emit = (rec) => out.outputs.push(rec);
    for (const op of this.operators) op.logic.idle?.(emit);
    this.takeChanges(out.changelog);
    this.takeSnapshots(out.changelog);
    return out.outputs.length === 0 && out.changelog.length === 0 ? undefined : out;
  }

  private takeChanges(changelog: ChangelogEntry[]): void {
    for (const op of this.operators) {
      const prefix = stateKeyPrefix(op.name);
      op.logic.takeChanges((key, value) => changelog.push({ key: prefix + key, value }));
    }
  }

  private takeSnapshots(changelog: ChangelogEntry[]): void {
    for (const op of this.operators) {
      const s = op.logic.takeSnapshot?.();
      if (s !== undefined) changelog.push({ key: snapshotKey(op.name), value: s });
    }
  }

  /**
   * Rebuild from the changelog's live entries (latest value per key, tombstones removed). First
   * the position (`m/`: the watermark decides which dedup generations are over) and the dedup
   * chunks (`r/`, a few per batch of the horizon, grouped by generation so each table is sized
   * once); the generations' tables are filled in a worker thread (recent.ts) while this thread
   * walks the operators' state rows once, handing each to its operator as it comes (its bytes,
   * row.ts). Returns the number of state entries loaded (events replayed, for a legacy changelog).
   */
  async restore(entries: Map<string, Buffer | string>): Promise<number> {
    const gens = this.restorePosition(entries);
    const loading = this.recent.restoreGenerations(gens);
    let walk: ReturnType<TaskState['restoreRows']>;
    try {
      walk = this.restoreRows(entries);
    } finally {
      this.dedupLoadedIn = await loading;
    }
    return this.finishRestore(walk, gens);
  }

  /** The same in this thread only (tests; a caller that cannot wait). */
  restoreSync(entries: Map<string, Buffer | string>): number {
    const gens = this.restorePosition(entries);
    this.recent.restoreGenerationsHere(gens);
    return this.finishRestore(this.restoreRows(entries), gens);
  }

  /**
   * The position (`m/`) and the dedup chunks of the live generations; the chunks of generations
   * the watermark has ended are tombstoned by the next batch.
   */
  private restorePosition(entries: Map<string, Buffer | string>): GenerationChunks[] {
    const chunks: [string, Buffer | string][] = [];
    for (const [key, value] of entries) {
      if (key.charCodeAt(1) !== SLASH) continue;
      const kind = key.charCodeAt(0);
      if (kind === R) chunks.push([key, value]);
      else if (kind === M) {
        const meta = JSON.parse(typeof value === 'string' ? value : value.toString('utf8')) as Meta;
        const p = Number(key.slice(2));
        this.next.set(p, meta.next);
        if (meta.max !== null) this.maxEventTime.set(p, meta.max);
      }
    }
    const wm = this.watermark();
    const slotMs = recentSlotMs(this.options.dedupHorizonMs);
    const bySlot = new Map<number, GenerationChunks>();
    for (const [key, value] of chunks) {
      if (RecentSet.chunkExpired(key, slotMs, wm)) {
        // Its generation ended with the last commit's watermark: tombstoned by the next batch.
        this.legacy.push(key);
        continue;
      }
      const slot = RecentSet.slotOfChunk(key);
      let gen = bySlot.get(slot);
      if (!gen) bySlot.set(slot, (gen = { slot, keys: [], values: [], expected: 0 }));
      const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
      gen.keys.push(key);
      gen.values.push(bytes);
      gen.expected += bytes.byteLength / FP_BYTES;
    }
    return [...bySlot.values()];
  }

  /** The operators' state rows, snapshots and legacy segments, in one walk. */
  private restoreRows(entries: Map<string, Buffer | string>): {
    loaded: number;
    snapshots: Map<string, string>;
    segments: SegmentRow[][];
  } {
    const snapshots = new Map<string, string>();
    const byName = new Map(this.operators.map((op) => [op.name, op.logic]));
    // The operator of the last `k/` key seen: keys of one operator come in runs.
    let opPrefix = '';
    let opLogic: ProcessorLogic | undefined;
    const text = (v: Buffer | string) => (typeof v === 'string' ? v : v.toString('utf8'));
    let loaded = 0;
    const segments: SegmentRow[][] = [];
    for (const [key, value] of entries) {
      const kind = key.charCodeAt(0);
      if (key.charCodeAt(1) !== SLASH) continue;
      if (kind === K) {
        const slash = key.indexOf('/', 2);
        if (slash !== opPrefix.length - 1 || !key.startsWith(opPrefix)) {
          opPrefix = key.slice(0, slash + 1);
          opLogic = byName.get(key.slice(2, slash));
        }
        opLogic?.restoreEntry(key.slice(slash + 1), value);
        loaded++;
      } else if (kind === O) {
        snapshots.set(key.slice(2), text(value));
      } else if (kind === S) {
        this.legacy.push(key);
        segments.push((JSON.parse(text(value)) as { ev: SegmentRow[] }).ev);
      }
    }
    return { loaded, snapshots, segments };
  }

  /**
   * Once the dedup horizon is loaded: legacy segments replayed, operators told, snapshots applied.
   * Returns the entries loaded: state rows, dedup chunks, replayed legacy events.
   */
  private finishRestore(walk: ReturnType<TaskState['restoreRows']>, gens: GenerationChunks[]): number {
    const { snapshots, segments } = walk;
    const wm = this.watermark();
    let loaded = walk.loaded + gens.reduce((n, g) => n + g.keys.length, 0);
    loaded += this.replayLegacy(segments, wm);
    if (segments.length > 0) for (const op of this.operators) op.logic.replayedEvents?.();
    for (const op of this.operators) op.logic.restoredAt(wm);
    for (const op of this.operators) {
      const s = snapshots.get(op.name);
      if (s !== undefined) op.logic.restoreSnapshot?.(s);
    }
    this.recent.expire(wm);
    return loaded;
  }

  /** Events of a legacy changelog's segments still inside a window, into the operators. */
  private replayLegacy(segments: SegmentRow[][], wm: number): number {
    const all = (1 << this.operators.length) - 1;
    let replayed = 0;
    for (const rows of segments) {
      for (const [id, t, store, sku, qty, price, basket, mask = all] of rows) {
        let live = false;
        for (let i = 0; i < this.operators.length; i++)
          if (mask & (1 << i) && (this.operators[i] as Operator).logic.expiresAt(t) > wm) live = true;
        if (!live || this.recent.has(id)) continue;
        this.currentExpiry = this.expiryAt(wm, t);
        this.recent.addLast(this.currentExpiry);
        const e: CompactEvent = { id, t, store, sku, qty, price, basket };
        for (let i = 0; i < this.operators.length; i++) {
          const op = this.operators[i] as Operator;
          if (mask & (1 << i) && op.logic.expiresAt(t) > wm) op.logic.add(e, this.firstSight);
        }
        replayed++;
      }
    }
    return replayed;
  }
}
