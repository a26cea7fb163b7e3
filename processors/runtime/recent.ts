/**
 * What a task remembers for a bounded time — the dedup horizon (docs/processors.md, "State"):
 * event ids, and which baskets were already counted as orders for an hourly key or a store. Each
 * entry is a 128-bit fingerprint held in open-addressing tables of typed arrays (16 bytes per
 * entry, no object per id), grouped in generations by expiry: an entry expires `horizonMs` of
 * watermark time after it was added, so entries are added in expiry order and a whole generation
 * is dropped at once when the watermark passes its end. A lookup checks every live generation
 * (horizon / slot + 1 of them, 5 with the defaults).
 *
 * Fingerprints: an event id is a UUID (validated at decoding), so its 128 bits are taken as they
 * are — exact. Other keys (basket pairs) are hashed to 128 bits; two different keys share a
 * fingerprint with probability ~n/2^128 per lookup, far below one miscount in the lifetime of the
 * universe at the target rate.
 *
 * Persistence: the fingerprints added by a batch are written to the changelog as one binary record
 * per generation (`r/<slot>/<partition>/<first offset>`, 16 bytes per entry) and tombstoned with
 * their generation, so the changelog holds exactly what memory holds.
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadJob } from './fingerprint-worker.js';

/** Bytes of one fingerprint. */
export const FP_BYTES = 16;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[97 + i] = 10 + i;
  HEX[65 + i] = 10 + i;
}

/** The 32 bits of 8 hex digits of a UUID string from `at` (skipping dashes); sets `bad.v` if not hex. */
function hex32(s: string, at: number, bad: { v: boolean }): number {
  let v = 0;
  for (let i = at, n = 0; n < 8; i++) {
    const c = s.charCodeAt(i);
    if (c === 45) continue;
    const d = c < 128 ? (HEX[c] as number) : -1;
    if (d < 0) bad.v = true;
    v = (v << 4) | (d & 15);
    n++;
  }
  return v >>> 0;
}

const badFlag = { v: false };

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * 128-bit fingerprint of `key` into `out[0..3]`: a canonical UUID's own bits, anything else hashed
 * (four murmur-style lanes fed every character, cross-mixed). Never all zero (zero marks a free slot).
 */
export function fingerprint(key: string, out: Uint32Array): void {
  if (key.length === 36 && key.charCodeAt(8) === 45 && key.charCodeAt(23) === 45) {
    badFlag.v = false;
    // 8-4-4-4-12: dashes at 8, 13, 18, 23.
    out[0] = hex32(key, 0, badFlag);
    out[1] = hex32(key, 9, badFlag);
    out[2] = hex32(key, 19, badFlag);
    out[3] = hex32(key, 28, badFlag);
    // A UUID's bits and the hash of a (namespaced, never UUID-shaped) key share the space: a
    // collision between them is as unlikely as between two hashes.
    if (!badFlag.v && (out[0] | out[1] | out[2] | out[3]) !== 0) return;
  }
  let h1 = 0x9747b28c ^ key.length;
  let h2 = 0x1b873593;
  let h3 = 0x38b34ae5;
  let h4 = 0xa1e38b93;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = rotl(Math.imul(h1 ^ c, 0xcc9e2d51), 15) + h4;
    h2 = rotl(Math.imul(h2 ^ c, 0x1b873593), 13) + h1;
    h3 = rotl(Math.imul(h3 ^ c, 0x85ebca6b), 17) + h2;
    h4 = rotl(Math.imul(h4 ^ c, 0xc2b2ae35), 11) + h3;
  }
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h3 = fmix(h3);
  h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out[0] = h1 >>> 0;
  out[1] = (h2 + h1) >>> 0;
  out[2] = (h3 + h1) >>> 0;
  out[3] = ((h4 + h1) | 1) >>> 0;
}

/** The home slot of a fingerprint (before masking). The low bits of a UUID's first word are time, so it mixes all four words. */
function slotOf(a: number, b: number, c: number, d: number): number {
  return fmix((a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ d) >>> 0);
}

/** One generation: an open-addressing set of fingerprints (linear probing, grown at 3/4 load). */
export class FingerprintTable {
  private words: Uint32Array;
  private mask: number;
  count = 0;

  /** `shared`: the words live in a SharedArrayBuffer, so a worker can fill them (loadInWorker). */
  constructor(expected = 1024, shared = false) {
    let cap = 1024;
    while (cap * 0.75 < expected) cap *= 2;
    this.words = shared ? new Uint32Array(new SharedArrayBuffer(cap * 16)) : new Uint32Array(cap * 4);
    this.mask = cap - 1;
  }

  /** The table's words, for a worker to fill with `loadInto`. */
  get sharedWords(): Uint32Array {
    return this.words;
  }

  /**
   * Insert every fingerprint of `packed` (16 bytes each, big-endian words, as takeChunks writes
   * them) into `words` (a table's, capacity `words.length / 4`, a power of two, never filled past
   * 3/4 by the caller's sizing). Returns how many were new. The restore's hot loop: one pass, words
   * read through a DataView, no per-entry call (a third faster than probe per fingerprint).
   */
  static loadInto(words: Uint32Array, packed: Uint8Array): number {
    const mask = words.length / 4 - 1;
    const dv = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
    let added = 0;
    for (let o = 0; o + FP_BYTES <= packed.byteLength; o += FP_BYTES) {
      const a = dv.getUint32(o);
      const b = dv.getUint32(o + 4);
      const c = dv.getUint32(o + 8);
      const d = dv.getUint32(o + 12);
      let i = slotOf(a, b, c, d) & mask;
      for (;;) {
        const q = i * 4;
        const wa = words[q] as number;
        if (wa === 0 && words[q + 1] === 0 && words[q + 2] === 0 && words[q + 3] === 0) {
          words[q] = a;
          words[q + 1] = b;
          words[q + 2] = c;
          words[q + 3] = d;
          added++;
          break;
        }
        if (wa === a && words[q + 1] === b && words[q + 2] === c && words[q + 3] === d) break;
        i = (i + 1) & mask;
      }
    }
    return added;
  }

  /** Make room for `more` entries without growing during a bulk load. */
  reserve(more: number): void {
    while (this.count + more > (this.mask + 1) * 0.75) this.grow();
  }

  /** Bulk insert (a restore): see loadInto. */
  load(packed: Uint8Array): void {
    this.reserve(packed.byteLength / FP_BYTES);
    this.count += FingerprintTable.loadInto(this.words, packed);
  }

  /** Entries added to the words by someone else (a worker's loadInto). */
  addCount(n: number): void {
    this.count += n;
  }

  get bytes(): number {
    return this.words.byteLength;
  }

  /** Whether the table holds fp; when not and `insert`, adds it. */
  probe(fp: Uint32Array, insert: boolean): boolean {
    const a = fp[0] as number;
    const b = fp[1] as number;
    const c = fp[2] as number;
    const d = fp[3] as number;
    const w = this.words;
    let i = slotOf(a, b, c, d) & this.mask;
    for (;;) {
      const o = i * 4;
      const wa = w[o] as number;
      if (wa === 0 && w[o + 1] === 0 && w[o + 2] === 0 && w[o + 3] === 0) break;
      if (wa === a && w[o + 1] === b && w[o + 2] === c && w[o + 3] === d) return true;
      i = (i + 1) & this.mask;
    }
    if (!insert) return false;
    if (this.count + 1 > (this.mask + 1) * 0.75) {
      this.grow();
      return this.probe(fp, true);
    }
    const o = i * 4;
    w[o] = a;
    w[o + 1] = b;
    w[o + 2] = c;
    w[o + 3] = d;
    this.count++;
    return false;
  }

  private grow(): void {
    const old = this.words;
    this.words = new Uint32Array(old.length * 2);
    this.mask = this.words.length / 4 - 1;
    this.count = 0;
    const fp = new Uint32Array(4);
    for (let o = 0; o < old.length; o += 4) {
      if (
        ((old[o] as number) | (old[o + 1] as number) | (old[o + 2] as number) | (old[o + 3] as number)) ===
        0
      )
        continue;
      fp[0] = old[o] as number;
      fp[1] = old[o + 1] as number;
      fp[2] = old[o + 2] as number;
      fp[3] = old[o + 3] as number;
      this.probe(fp, true);
    }
  }
}

/** The chunks of one generation, to rebuild it (restoreGenerations). */
export interface GenerationChunks {
  slot: number;
  keys: string[];
  values: Uint8Array[];
  /** Fingerprints in all its chunks: the table is sized once. */
  expected: number;
}

/** The compiled worker beside this module, when there is one. */
function workerUrl(): URL | undefined {
  const url = new URL('./fingerprint-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** Fill the jobs' tables in a worker thread; the new entries per job. */
function runLoadWorker(url: URL, jobs: LoadJob[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(url);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (added: number[]) => settle(() => resolve(added)));
    worker.once('error', (err) => settle(() => reject(err)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`the fingerprint loader exited (code ${code}) before it had loaded`))),
    );
    worker.postMessage(jobs);
  });
}

interface Generation {
  table: FingerprintTable;
  /** Fingerprints added since the last `takeChunks` (16 bytes each, packed). */
  fresh: Uint32Array;
  freshCount: number;
  /** Changelog keys of this generation's chunks (tombstoned when it is dropped). */
  keys: string[];
}

export interface RecentChunk {
  key: string;
  value: Buffer;
}

export class RecentSet {
  private readonly gens = new Map<number, Generation>();
  private readonly fp = new Uint32Array(4);
  private lastCount = 1024;

  /** `slotMs`: the watermark time one generation covers; entries live horizon to horizon + slotMs. */
  constructor(private readonly slotMs: number) {}

  /** Entries held. */
  size(): number {
    let n = 0;
    for (const g of this.gens.values()) n += g.table.count;
    return n;
  }

  /** Memory of the tables (bytes). */
  bytes(): number {
    let n = 0;
    for (const g of this.gens.values()) n += g.table.bytes + g.fresh.byteLength;
    return n;
  }

  /** Live changelog bytes (what a restore reads for this set). */
  changelogBytes(): number {
    return this.size() * FP_BYTES;
  }

  /**
   * True when `key` was not seen within the horizon; it is then remembered until `expiresAt`
   * (watermark time). False for a key seen before.
   */
  firstSight(key: string, expiresAt: number): boolean {
    if (this.has(key)) return false;
    this.addLast(expiresAt);
    return true;
  }

  /** Whether `key` is held; remembers its fingerprint for addLast. */
  has(key: string): boolean {
    fingerprint(key, this.fp);
    for (const g of this.gens.values()) if (g.table.probe(this.fp, false)) return true;
    return false;
  }

  /** Add the key of the last `has` (which returned false) until `expiresAt`. */
  addLast(expiresAt: number): void {
    const g = this.generation(Math.ceil(expiresAt / this.slotMs));
    g.table.probe(this.fp, true);
    if (g.freshCount * 4 === g.fresh.length) {
      const bigger = new Uint32Array(g.fresh.length * 2);
      bigger.set(g.fresh);
      g.fresh = bigger;
    }
    g.fresh.set(this.fp, g.freshCount * 4);
    g.freshCount++;
  }

  private generation(slot: number, expected = this.lastCount, shared = false): Generation {
    let g = this.gens.get(slot);
    if (!g) {
      // Sized like the previous generation: rates are steady, so it rarely has to grow.
      g = {
        table: new FingerprintTable(expected, shared),
        fresh: new Uint32Array(256),
        freshCount: 0,
        keys: [],
      };
      this.gens.set(slot, g);
    }
    return g;
  }

  /** Drop the generations whose every entry expired at `watermark`; returns their chunk keys. */
  expire(watermark: number): string[] {
    const dropped: string[] = [];
    for (const [slot, g] of this.gens) {
      if (slot * this.slotMs > watermark) continue;
      this.lastCount = Math.max(1024, g.table.count);
      this.gens.delete(slot);
      dropped.push(...g.keys);
    }
    return dropped;
  }

  /** The fingerprints added since the last call, one chunk per generation, keyed `r/<slot>/<suffix>`. */
  takeChunks(suffix: string): RecentChunk[] {
    const out: RecentChunk[] = [];
    for (const [slot, g] of this.gens) {
      if (g.freshCount === 0) continue;
      const key = `r/${slot}/${suffix}`;
      const bytes = Buffer.alloc(g.freshCount * FP_BYTES);
      for (let i = 0; i < g.freshCount * 4; i++) bytes.writeUInt32BE(g.fresh[i] as number, i * 4);
      g.keys.push(key);
      g.freshCount = 0;
      out.push({ key, value: bytes });
    }
    return out;
  }

  /**
   * Load a chunk written by takeChunks (a restore); `expected` = the fingerprints of all the chunks
   * of its generation, so the table is sized once. Chunks of expired generations are skipped by the caller.
   */
  restoreChunk(key: string, value: Uint8Array, expected?: number): void {
    const g = this.generation(RecentSet.slotOfChunk(key), expected);
    g.keys.push(key);
    g.table.load(value);
  }

  /**
   * Rebuild whole generations (a restore): in a worker thread, so the caller can rebuild the rest
   * of the task's state meanwhile on its own thread — filling the tables is a large share of a
   * restore, bound by memory latency (a random slot per fingerprint), and a restored task is idle
   * on every other core. The tables live in SharedArrayBuffers the worker fills in place; nothing
   * is copied back. Where no worker can run (the sources run by a test runner, which has no
   * compiled worker) it loads them in this thread. Nothing may use the set until this resolves.
   */
  async restoreGenerations(
    gens: GenerationChunks[],
    /** The worker's module (tests name another); undefined: fill them in this thread. */
    worker: URL | undefined = workerUrl(),
  ): Promise<'worker' | 'thread' | `thread (${string})`> {
    const inThread = (list: GenerationChunks[]) => this.restoreGenerationsHere(list);
    // Only generations this set does not hold yet get a shared table (a restore: all of them).
    const fresh = gens.filter((g) => !this.gens.has(g.slot));
    inThread(gens.filter((g) => this.gens.has(g.slot)));
    if (worker === undefined || fresh.length === 0) {
      inThread(fresh);
      return 'thread';
    }
    const jobs: LoadJob[] = [];
    const tables: FingerprintTable[] = [];
    for (const gen of fresh) {
      const g = this.generation(gen.slot, gen.expected, true);
      g.keys.push(...gen.keys);
      const packed = new Uint8Array(new SharedArrayBuffer(gen.values.reduce((n, v) => n + v.byteLength, 0)));
      let at = 0;
      for (const v of gen.values) {
        packed.set(v, at);
        at += v.byteLength;
      }
      jobs.push({ words: g.table.sharedWords, packed });
      tables.push(g.table);
    }
    let added: number[];
    try {
      added = await runLoadWorker(worker, jobs);
    } catch (err) {
      // A worker that could not start or died: its tables may be half filled; start them over here.
      for (const gen of fresh) this.gens.delete(gen.slot);
      inThread(fresh);
      return `thread (the worker failed: ${err instanceof Error ? err.message : String(err)})`;
    }
    tables.forEach((t, i) => t.addCount(added[i] ?? 0));
    return 'worker';
  }

  /** Rebuild whole generations in this thread (restoreChunk for each of their chunks). */
  restoreGenerationsHere(gens: GenerationChunks[]): void {
    for (const gen of gens)
      for (let i = 0; i < gen.keys.length; i++)
        this.restoreChunk(gen.keys[i] as string, gen.values[i] as Uint8Array, gen.expected);
  }

  /** The slot of a chunk's key (`r/<slot>/…`). */
  static slotOfChunk(key: string): number {
    return Number(key.slice(2, key.indexOf('/', 2)));
  }

  /** The slot a key of a chunk belongs to: whether it is already past `watermark`. */
  static chunkExpired(key: string, slotMs: number, watermark: number): boolean {
    return RecentSet.slotOfChunk(key) * slotMs <= watermark;
  }
}
