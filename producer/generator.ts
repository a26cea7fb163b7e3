/**
 * The synthetic sales generator: baskets of several lines bought in stores that are open (local
 * opening hours and a daily/weekly footfall rhythm) or online, SKUs by Zipf popularity, daily
 * promotions, and on purpose some returns, duplicates (an earlier event re-sent with the same
 * event_id) and late events (event time behind the clock by a chosen distribution).
 *
 * Everything random comes from one seeded PRNG and the clock is injected, so the same seed and the
 * same clock give the same events — ids included (UUIDv7 fed by the seeded random source).
 */
import type { Channel, PaymentType, SaleEvent } from '../lib/contracts/event/schema.js';
import { uuidv7 } from '../lib/uuid.js';
import type { Catalogue, Category, Store } from './catalogue.js';
import { buildCatalogue, CATEGORIES, isOpen, localTime, rhythm } from './catalogue.js';
import { Random, WeightedSampler } from './random.js';
import { injects, scaleQuantity } from './anomaly.js';
import type { AnomalyInjection } from './anomaly.js';

export const LATE_DISTRIBUTIONS = ['exponential', 'uniform'] as const;
export type LateDistribution = (typeof LATE_DISTRIBUTIONS)[number];

export interface GeneratorOptions {
  seed: number;
  stores: number;
  skus: number;
  zipfExponent: number;
  /** Share of baskets that are returns (negative quantities). */
  returnShare: number;
  /** Share of emitted events that re-send an earlier event unchanged (same event_id). */
  duplicateShare: number;
  /** Share of baskets whose event time lags the clock. */
  lateShare: number;
  lateDistribution: LateDistribution;
  /** Mean lateness (exponential) or upper bound (uniform), milliseconds. */
  lateMeanMs: number;
  /** No event is ever later than this (keeps the tail bounded). */
  lateMaxMs: number;
  /** Share of lines drawn from the day's promoted categories. */
  promoShare: number;
  meanBasketLines: number;
  currency: string;
}

export const GENERATOR_DEFAULTS: Omit<GeneratorOptions, 'seed'> = {
  stores: 50,
  skus: 2000,
  zipfExponent: 1.1,
  returnShare: 0.03,
  duplicateShare: 0.002,
  lateShare: 0.02,
  lateDistribution: 'exponential',
  lateMeanMs: 120_000,
  lateMaxMs: 3 * 3_600_000,
  promoShare: 0.2,
  meanBasketLines: 3,
  currency: 'EUR',
};

export interface GeneratedEvent {
  event: SaleEvent;
  /** A re-send of an earlier event (same event_id): intentional, for testing deduplication. */
  duplicate: boolean;
  late: boolean;
}

export interface Promotion {
  category: Category;
  /** Fraction off the list price, 0.1–0.3. */
  discount: number;
}

const STORE_PAYMENTS = new WeightedSampler<PaymentType>(
  ['card', 'cash', 'wallet', 'gift_card'],
  [60, 25, 12, 3],
);
const ONLINE_PAYMENTS = new WeightedSampler<PaymentType>(['card', 'wallet', 'gift_card'], [70, 25, 5]);
const RECENT = 256;
const MAX_DROPPED = 1_000;
const CUSTOMERS = 200_000;

export class SaleGenerator {
  readonly catalogue: Catalogue;
  private readonly random: Random;
  private readonly options: GeneratorOptions;
  private readonly queue: GeneratedEvent[] = [];
  private readonly recent: SaleEvent[] = [];
  private recentNext = 0;
  private storeSamplerBucket = -1;
  private storeSampler: WeightedSampler<Store> | undefined;
  private readonly onlineSampler: WeightedSampler<Store>;
  private promoDay = -1;
  private promotions: Promotion[] = [];
  private readonly fill: (bytes: Uint8Array) => void;
  private injection: AnomalyInjection | undefined;
  private dropped = 0;

  constructor(
    options: Partial<GeneratorOptions> & { seed: number },
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...GENERATOR_DEFAULTS, ...options };
    this.catalogue = buildCatalogue(this.options.seed, this.options);
    this.random = new Random(this.options.seed);
    this.fill = (bytes) => this.random.fill(bytes);
    this.onlineSampler = new WeightedSampler(
      this.catalogue.stores,
      this.catalogue.stores.map((s) => s.weight),
    );
  }

  next(): GeneratedEvent {
    if (this.recent.length > 0 && this.random.chance(this.options.duplicateShare)) {
      const original = this.random.pick(this.recent);
      return { event: { ...original }, duplicate: true, late: false };
    }
    // A basket dropped by an injected anomaly leaves the queue empty: draw the next one.
    while (this.queue.length === 0) this.basket();
    const generated = this.queue.shift() as GeneratedEvent;
    this.remember(generated.event);
    return generated;
  }

  /** Multiply one store's sales for an event-time window (producer/anomaly.ts); undefined stops it. */
  inject(injection: AnomalyInjection | undefined): void {
    this.injection = injection;
  }

  /** The promotions running on the UTC day of `utcMs` (two categories, 10–30 % off). */
  promotionsOn(utcMs: number): Promotion[] {
    const day = Math.floor(utcMs / 86_400_000);
    if (day !== this.promoDay) {
      const random = new Random((this.options.seed ^ Math.imul(day, 0x9e3779b1)) >>> 0);
      const first = random.int(0, CATEGORIES.length - 1);
      const second = (first + random.int(1, CATEGORIES.length - 1)) % CATEGORIES.length;
      this.promotions = [first, second].map((i) => ({
        category: CATEGORIES[i] as Category,
        discount: Math.round((0.1 + random.next() * 0.2) * 100) / 100,
      }));
      this.promoDay = day;
    }
    return this.promotions;
  }

  private remember(event: SaleEvent): void {
    if (this.options.duplicateShare <= 0) return;
    if (this.recent.length < RECENT) this.recent.push(event);
    else this.recent[this.recentNext] = event;
    this.recentNext = (this.recentNext + 1) % RECENT;
  }

  /** Stores weighted by size × footfall rhythm at their local time, recomputed every 15 minutes. */
  private openStores(utcMs: number): WeightedSampler<Store> | undefined {
    const bucket = Math.floor(utcMs / 900_000);
    if (bucket !== this.storeSamplerBucket) {
      const open = this.catalogue.stores.filter((s) => isOpen(s, utcMs));
      this.storeSampler =
        open.length === 0
          ? undefined
          : new WeightedSampler(
              open,
              open.map((s) => {
                const { hour, weekday } = localTime(s, utcMs);
                return s.weight * rhythm(hour, weekday);
              }),
            );
      this.storeSamplerBucket = bucket;
    }
    return this.storeSampler;
  }

  private lateness(): number {
    const o = this.options;
    const raw =
      o.lateDistribution === 'uniform'
        ? this.random.next() * o.lateMeanMs
        : this.random.exponential(o.lateMeanMs);
    return Math.min(o.lateMaxMs, Math.max(1, Math.round(raw)));
  }

  private basket(): void {
    const o = this.options;
    const r = this.random;
    const clock = Math.floor(this.now());
    const late = r.chance(o.lateShare);
    const eventTime = late ? clock - this.lateness() : clock;
    const open = this.openStores(eventTime);
    const roll = r.next();
    const channel: Channel =
      open === undefined || roll >= 0.65 ? (roll >= 0.85 ? 'mobile' : 'online') : 'store';
    const store = channel === 'store' && open !== undefined ? open.sample(r) : this.onlineSampler.sample(r);
    const injected = injects(this.injection, store.id, eventTime);
    const factor = this.injection?.factor ?? 1;
    // Dropped; but never so many in a row that next() spins (one store, factor 0, a clock that
    // advances only with the events pulled).
    if (injected && factor < 1 && r.next() >= factor && this.dropped < MAX_DROPPED) {
      this.dropped++;
      return;
    }
    this.dropped = 0;
    const isReturn = r.chance(o.returnShare);
    const payment = channel === 'store' ? STORE_PAYMENTS.sample(r) : ONLINE_PAYMENTS.sample(r);
    // Cash buyers in a shop are mostly anonymous; online buyers always have an account.
    const anonymous = channel === 'store' && (payment === 'cash' ? r.chance(0.8) : r.chance(0.3));
    const customer = anonymous ? null : `C${String(r.int(1, CUSTOMERS)).padStart(7, '0')}`;
    const { weekday } = localTime(store, eventTime);
    const weekendBoost = weekday === 0 || weekday === 6 ? 1.3 : 1;
    const lines = isReturn
      ? r.int(1, 2)
      : 1 + Math.floor(r.exponential((o.meanBasketLines - 1) * weekendBoost));
    const promotions = this.promotionsOn(eventTime);
    const basketId = uuidv7(clock, this.fill);
    const seen = new Set<string>();
    for (let i = 0; i < lines; i++) {
      const promo = r.chance(o.promoShare) ? r.pick(promotions) : undefined;
      const sampler = promo ? this.catalogue.byCategory.get(promo.category.name) : undefined;
      const sku = (sampler ?? this.catalogue.popularity).sample(r);
      if (seen.has(sku.id)) continue;
      seen.add(sku.id);
      const discount = promotions.find((p) => p.category === sku.category)?.discount ?? 0;
      const drawn = 1 + Math.floor(r.exponential(0.6));
      const qty = injected && factor > 1 ? scaleQuantity(drawn, factor) : drawn;
      this.queue.push({
        event: {
          event_id: uuidv7(clock, this.fill),
          event_time: eventTime,
          store_id: store.id,
          sku: sku.id,
          quantity: isReturn ? -qty : qty,
          unit_price_cents: Math.round(sku.priceCents * (1 - discount)),
          currency: o.currency,
          channel,
          payment_type: payment,
          customer_id: customer,
          basket_id: basketId,
        },
        duplicate: false,
        late,
      });
    }
  }
}
