import { describe, expect, it } from 'vitest';
import { FingerprintTable, RecentSet, fingerprint } from '../../../processors/runtime/recent.js';
import { uuidv7 } from '../../../lib/uuid.js';

const fp = (key: string) => {
  const out = new Uint32Array(4);
  fingerprint(key, out);
  return [...out];
};

describe('fingerprints', () => {
  it('a UUID is its own 128 bits (exact, no hashing)', () => {
    expect(fp('01234567-89ab-cdef-0123-456789abcdef')).toEqual([
      0x01234567, 0x89abcdef, 0x01234567, 0x89abcdef,
    ]);
    expect(fp('01234567-89AB-CDEF-0123-456789ABCDEF')).toEqual(fp('01234567-89ab-cdef-0123-456789abcdef'));
  });

  it('other keys hash to 128 bits, never all zero; near keys differ in every word', () => {
    const a = fp('h\u00001000\u0000S1\u0000SKU-1\u0000B1');
    const b = fp('h\u00001000\u0000S1\u0000SKU-1\u0000B2');
    expect(a).not.toEqual([0, 0, 0, 0]);
    for (let i = 0; i < 4; i++) expect(a[i]).not.toBe(b[i]);
    expect(fp('')).not.toEqual([0, 0, 0, 0]);
    // not-quite UUIDs are hashed, not parsed
    expect(fp('0123456z-89ab-cdef-0123-456789abcdef')).not.toEqual(
      fp('01234560-89ab-cdef-0123-456789abcdef'),
    );
  });

  it('40k distinct keys give 40k distinct fingerprints', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      seen.add(fp(`r\u0000S${i % 97}\u0000B-${i}`).join(','));
      seen.add(fp(uuidv7()).join(','));
    }
    expect(seen.size).toBe(40_000);
  });
});

describe('fingerprint table', () => {
  it('finds what it holds and grows at 3/4 load without losing entries', () => {
    const t = new FingerprintTable(16);
    const before = t.bytes;
    const keys = Array.from({ length: 5_000 }, (_, i) => `k${i}`);
    const f = new Uint32Array(4);
    for (const k of keys) {
      fingerprint(k, f);
      expect(t.probe(f, true)).toBe(false);
    }
    expect(t.count).toBe(5_000);
    expect(t.bytes).toBeGreaterThan(before);
    // 16 bytes per slot, at most 3/4 full and at least 3/8 after a doubling
    expect(t.bytes).toBeLessThanOrEqual((5_000 / 0.375) * 16);
    for (const k of keys) {
      fingerprint(k, f);
      expect(t.probe(f, false)).toBe(true);
    }
    fingerprint('absent', f);
    expect(t.probe(f, false)).toBe(false);
  });
});

describe('recent set (the dedup horizon)', () => {
  const SLOT = 60_000;

  it('remembers a key until its generation ends, then forgets the whole generation', () => {
    const r = new RecentSet(SLOT);
    expect(r.firstSight('a', 100_000)).toBe(true);
    expect(r.firstSight('a', 100_000)).toBe(false);
    expect(r.firstSight('b', 130_000)).toBe(true);
    // slots: a → ceil(100k/60k)=2 (ends 120k), b → 3 (ends 180k)
    expect(r.expire(119_999)).toEqual([]);
    r.takeChunks('0/0');
    const dropped = r.expire(120_000);
    expect(dropped).toEqual(['r/2/0/0']);
    expect(r.has('a')).toBe(false);
    expect(r.has('b')).toBe(true);
    expect(r.size()).toBe(1);
  });

  it('chunks hold exactly the new fingerprints; a restore from them knows the same keys', () => {
    const r = new RecentSet(SLOT);
    for (let i = 0; i < 1_000; i++) r.firstSight(`k${i}`, 60_000 + i * 100);
    const first = r.takeChunks('0/0');
    for (let i = 1_000; i < 1_500; i++) r.firstSight(`k${i}`, 60_000 + i * 100);
    const second = r.takeChunks('0/1000');
    expect(r.takeChunks('0/1500')).toEqual([]);
    const chunks = [...first, ...second];
    expect(chunks.reduce((s, c) => s + c.value.length, 0)).toBe(1_500 * 16);
    const restored = new RecentSet(SLOT);
    for (const c of chunks) restored.restoreChunk(c.key, c.value);
    for (let i = 0; i < 1_500; i++) expect(restored.has(`k${i}`)).toBe(true);
    expect(restored.has('k1500')).toBe(false);
    // and the restored set tombstones the same chunk keys when they expire
    expect(restored.expire(Infinity).sort()).toEqual(chunks.map((c) => c.key).sort());
    expect(RecentSet.chunkExpired('r/3/0/0', SLOT, 180_000)).toBe(true);
    expect(RecentSet.chunkExpired('r/3/0/0', SLOT, 179_999)).toBe(false);
  });

  it('memory is 16 bytes per fingerprint slot, bounded by what the horizon holds', () => {
    const r = new RecentSet(SLOT);
    // 100 keys a second for 20 minutes, horizon 5 minutes of the same clock
    for (let t = 0; t < 1_200_000; t += 10) {
      r.firstSight(`e${t}`, t + 300_000);
      if (t % 1_000 === 0) {
        r.expire(t);
        r.takeChunks(`0/${t}`);
      }
    }
    // 5 minutes + at most one slot of keys
    expect(r.size()).toBeLessThanOrEqual(36_000 + 100);
    expect(r.size()).toBeGreaterThanOrEqual(30_000);
    expect(r.bytes()).toBeLessThan(r.size() * 16 * 4);
  });

  it('a bulk load (a restore) holds what one insert at a time holds, duplicates once', () => {
    const one = new FingerprintTable(16);
    const fp = new Uint32Array(4);
    const packed = Buffer.alloc(3_000 * 16);
    for (let i = 0; i < 3_000; i++) {
      // every tenth repeats an earlier one
      fingerprint(`k${i % 10 === 9 ? i - 5 : i}`, fp);
      one.probe(fp, true);
      for (let w = 0; w < 4; w++) packed.writeUInt32BE(fp[w] as number, i * 16 + w * 4);
    }
    const bulk = new FingerprintTable(16);
    bulk.load(packed);
    expect(bulk.count).toBe(one.count);
    expect(bulk.count).toBe(2_700);
    for (let i = 0; i < 3_100; i++) {
      fingerprint(`k${i}`, fp);
      expect(bulk.probe(fp, false)).toBe(one.probe(fp, false));
    }
  });

  it('restoreGenerations rebuilds whole generations: the same keys, the same chunk keys to tombstone', async () => {
    const r = new RecentSet(SLOT);
    for (let i = 0; i < 2_000; i++) r.firstSight(`k${i}`, 60_000 + i * 100);
    const chunks = r.takeChunks('0/0');
    expect(chunks.length).toBeGreaterThan(1);
    const restored = new RecentSet(SLOT);
    await restored.restoreGenerations(
      chunks.map((c) => ({
        slot: RecentSet.slotOfChunk(c.key),
        keys: [c.key],
        values: [c.value],
        expected: c.value.length / 16,
      })),
    );
    expect(restored.size()).toBe(2_000);
    for (let i = 0; i < 2_000; i++) expect(restored.has(`k${i}`)).toBe(true);
    expect(restored.has('k2000')).toBe(false);
    expect(restored.expire(Infinity).sort()).toEqual(chunks.map((c) => c.key).sort());
  });

  it('a worker that cannot run leaves no half-filled table: the generations are loaded in this thread', async () => {
    const r = new RecentSet(SLOT);
    for (let i = 0; i < 500; i++) r.firstSight(`k${i}`, 60_000 + i * 100);
    const chunks = r.takeChunks('0/0');
    const restored = new RecentSet(SLOT);
    const where = await restored.restoreGenerations(
      chunks.map((c) => ({
        slot: RecentSet.slotOfChunk(c.key),
        keys: [c.key],
        values: [c.value],
        expected: c.value.length / 16,
      })),
      new URL('./no-such-worker.js', import.meta.url),
    );
    expect(where).toMatch(/^thread \(the worker failed: /);
    expect(restored.size()).toBe(500);
    for (let i = 0; i < 500; i++) expect(restored.has(`k${i}`)).toBe(true);
    expect(restored.expire(Infinity).sort()).toEqual(chunks.map((c) => c.key).sort());
  });
});
