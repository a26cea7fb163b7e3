/**
 * A stream with duplicates for the idempotent raw table tests of both targets: originals, a
 * client retry (a whole earlier request sent again, later), the generator's single re-sends, a
 * re-send right behind its original (same fetch, same batch), and conflicting duplicates (same
 * id, other content). Identical re-sends keep their key (store_id), so they share the original's
 * partition, as real re-sends do.
 */
import type { SaleEvent } from '../../../lib/contracts/event/schema.js';
import { makeEvents, totals } from '../../../bench/lib/sale-events.js';
import type { Totals } from '../../../bench/lib/sale-events.js';

const DAY = 86_400_000;

export interface DupStream {
  originals: SaleEvent[];
  /** In produce order: originals interleaved with identical re-sends. */
  stream: SaleEvent[];
  identical: number;
  expected: Totals;
}

/** `n` originals with ~15% identical re-sends among them. */
export function dupStream(n: number, seed = 0): DupStream {
  const originals = makeEvents(n, { stores: 24, seed });
  const stream: SaleEvent[] = [];
  let identical = 0;
  originals.forEach((e, i) => {
    stream.push(e);
    // The generator's re-send of a recent event, and one right behind its original.
    if (i % 50 === 7) {
      stream.push({ ...(originals[i - 5] as SaleEvent) });
      identical++;
    }
    if (i % 97 === 3) {
      stream.push({ ...e });
      identical++;
    }
    // A client retrying a whole earlier request of 400 events.
    if (i === Math.floor(n * 0.6)) {
      const retry = originals.slice(Math.floor(n * 0.2), Math.floor(n * 0.2) + 400);
      stream.push(...retry.map((r) => ({ ...r })));
      identical += retry.length;
    }
  });
  return { originals, stream, identical, expected: totals(originals) };
}

/**
 * Conflicting duplicates of `of`: other quantity and price (same key), and — every third — another
 * store and an event time three days earlier (another Kafka partition, another day partition).
 */
export function conflicting(of: SaleEvent[]): SaleEvent[] {
  return of.map((e, i) =>
    i % 3 === 2
      ? { ...e, store_id: `${e.store_id}-X`, event_time: e.event_time - 3 * DAY }
      : { ...e, quantity: e.quantity + 1, unit_price_cents: e.unit_price_cents + 5 },
  );
}
