/**
 * The synthetic business: stores (region, time zone, opening hours, size) and SKUs (category,
 * price, Zipf popularity), built from the seed alone so every replica with the same seed sells
 * the same things in the same shops.
 */
import { Random, WeightedSampler, zipfWeights } from './random.js';

export interface Region {
  name: string;
  /** Offset of local time from UTC in hours (no daylight saving: the business is synthetic). */
  utcOffsetHours: number;
}

export const REGIONS: readonly Region[] = [
  { name: 'eu-west', utcOffsetHours: 0 },
  { name: 'eu-central', utcOffsetHours: 1 },
  { name: 'us-east', utcOffsetHours: -5 },
  { name: 'us-west', utcOffsetHours: -8 },
  { name: 'apac', utcOffsetHours: 8 },
];

export type StoreSize = 'small' | 'medium' | 'large';

export interface Store {
  id: string;
  region: Region;
  size: StoreSize;
  /** Local opening hours [open, close); 0 and 24 for a store that never closes. */
  opens: number;
  closes: number;
  /** Relative footfall: large stores sell more. */
  weight: number;
}

export interface Category {
  name: string;
  /** Median price in cents and the spread (log-normal sigma). */
  medianCents: number;
  sigma: number;
}

export const CATEGORIES: readonly Category[] = [
  { name: 'grocery', medianCents: 250, sigma: 0.6 },
  { name: 'dairy', medianCents: 180, sigma: 0.4 },
  { name: 'bakery', medianCents: 220, sigma: 0.4 },
  { name: 'produce', medianCents: 199, sigma: 0.5 },
  { name: 'beverages', medianCents: 299, sigma: 0.6 },
  { name: 'household', medianCents: 599, sigma: 0.7 },
  { name: 'personal-care', medianCents: 499, sigma: 0.6 },
  { name: 'apparel', medianCents: 2499, sigma: 0.7 },
  { name: 'toys', medianCents: 1999, sigma: 0.8 },
  { name: 'garden', medianCents: 1499, sigma: 0.9 },
  { name: 'pet', medianCents: 899, sigma: 0.7 },
  { name: 'electronics', medianCents: 7999, sigma: 1.0 },
];

export interface Sku {
  id: string;
  category: Category;
  priceCents: number;
}

export interface Catalogue {
  stores: Store[];
  skus: Sku[];
  /** Global popularity: Zipf over a seeded shuffle of the SKUs. */
  popularity: WeightedSampler<Sku>;
  /** Popularity inside each category (for promotions). */
  byCategory: Map<string, WeightedSampler<Sku>>;
}

export interface CatalogueOptions {
  stores: number;
  skus: number;
  zipfExponent: number;
}

const SIZE_WEIGHT: Record<StoreSize, number> = { small: 1, medium: 2.5, large: 5 };
const SIZE_HOURS: Record<StoreSize, [number, number]> = { small: [7, 22], medium: [8, 21], large: [9, 21] };

export function buildCatalogue(seed: number, options: CatalogueOptions): Catalogue {
  const random = new Random(seed ^ 0x5eed_ca7a);
  const stores: Store[] = [];
  for (let i = 1; i <= options.stores; i++) {
    const roll = random.next();
    const size: StoreSize = roll < 0.5 ? 'small' : roll < 0.85 ? 'medium' : 'large';
    const allDay = random.chance(0.05);
    const [opens, closes] = allDay ? [0, 24] : SIZE_HOURS[size];
    stores.push({
      id: `S${String(i).padStart(4, '0')}`,
      region: random.pick(REGIONS),
      size,
      opens,
      closes,
      weight: SIZE_WEIGHT[size] * (0.75 + random.next() * 0.5),
    });
  }
  const skus: Sku[] = [];
  for (let i = 1; i <= options.skus; i++) {
    const category = random.pick(CATEGORIES);
    const price = Math.exp(Math.log(category.medianCents) + category.sigma * random.normal());
    // Retail prices end in 9: 1.99, 24.99…
    const priceCents = Math.max(9, Math.round(price / 10) * 10 - 1);
    skus.push({ id: `SKU-${String(i).padStart(6, '0')}`, category, priceCents });
  }
  const ranked = [...skus];
  for (let i = ranked.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [ranked[i], ranked[j]] = [ranked[j] as Sku, ranked[i] as Sku];
  }
  const popularity = new WeightedSampler(ranked, zipfWeights(ranked.length, options.zipfExponent));
  const byCategory = new Map<string, WeightedSampler<Sku>>();
  for (const category of CATEGORIES) {
    const inCategory = ranked.filter((s) => s.category === category);
    if (inCategory.length > 0) {
      byCategory.set(
        category.name,
        new WeightedSampler(inCategory, zipfWeights(inCategory.length, options.zipfExponent)),
      );
    }
  }
  return { stores, skus, popularity, byCategory };
}

/** Local hour (0–23, fractional) and weekday (0 = Sunday) of a store at a UTC instant. */
export function localTime(store: Store, utcMs: number): { hour: number; weekday: number } {
  const local = utcMs + store.region.utcOffsetHours * 3_600_000;
  const day = Math.floor(local / 86_400_000);
  const hour = (local - day * 86_400_000) / 3_600_000;
  // 1970-01-01 was a Thursday (4).
  return { hour, weekday: (((day + 4) % 7) + 7) % 7 };
}

export function isOpen(store: Store, utcMs: number): boolean {
  const { hour } = localTime(store, utcMs);
  return hour >= store.opens && hour < store.closes;
}

/**
 * Footfall by local hour: a lunch peak and a larger after-work peak, quiet mornings. Weekends
 * are busier in shops (×1.4 on Saturday, ×1.2 on Sunday).
 */
export function rhythm(hour: number, weekday: number): number {
  const peak = (centre: number, width: number, height: number) =>
    height * Math.exp(-((hour - centre) ** 2) / (2 * width * width));
  const daily = 0.3 + peak(12.5, 1.5, 0.8) + peak(18, 2, 1.0);
  const weekly = weekday === 6 ? 1.4 : weekday === 0 ? 1.2 : weekday === 5 ? 1.1 : 1;
  return daily * weekly;
}
