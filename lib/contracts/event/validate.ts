/**
 * The one validator shared by the producer, the ingest endpoint and the consumers. It names every
 * problem of an event (field and reason), not just the first, and rejects unknown fields.
 */
import { CHANNELS, PAYMENT_TYPES, SALE_EVENT_FIELDS } from './schema.js';
import type { SaleEvent } from './schema.js';

export interface FieldProblem {
  field: string;
  reason: string;
}

export type Validation = { ok: true; event: SaleEvent } | { ok: false; problems: FieldProblem[] };

export interface ValidationOptions {
  /** Event times further ahead of `now` than this are rejected (clock skew allowance). */
  maxFutureMs?: number;
  /** Event times older than this are rejected as nonsense (epoch 2000-01-01 by default). */
  minEventTime?: number;
  now?: number;
}

export const VALIDATION_DEFAULTS = {
  maxFutureMs: 5 * 60_000,
  minEventTime: Date.UTC(2000, 0, 1),
  maxQuantity: 10_000,
  maxUnitPriceCents: 100_000_000,
  maxIdLength: 64,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CURRENCY = /^[A-Z]{3}$/;
const KNOWN = new Set<string>(SALE_EVENT_FIELDS);

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/**
 * The character policy of every text id (store_id, sku, basket_id, customer_id): well-formed
 * Unicode (no lone surrogate: it has no UTF-8 form), and no character that is invisible or changes
 * how a text is shown or parsed — NUL and the other C0 controls (tab and newline included), DEL,
 * the C1 controls, and the bidirectional formatting controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069). Everything else is allowed, `|` and quotes included: keys are
 * built by a codec that escapes them. Length counts characters (code points), not bytes.
 */
const FORBIDDEN_CHAR =
  // eslint-disable-next-line no-control-regex -- the control characters are what this finds
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udfff]/u;

function charProblem(v: string): string | undefined {
  const m = FORBIDDEN_CHAR.exec(v);
  if (!m) return undefined;
  const cp = m[0].codePointAt(0) ?? 0;
  const code = cp.toString(16).toUpperCase().padStart(4, '0');
  const at = [...v.slice(0, m.index)].length;
  if (cp === 0) return `contains a NUL character (U+0000) at position ${at}`;
  // With the u flag a surrogate only matches when it is unpaired.
  if (cp >= 0xd800 && cp <= 0xdfff)
    return `contains a lone surrogate (U+${code}) at position ${at}: not valid Unicode`;
  return `contains the control character U+${code} at position ${at}`;
}

/** Why `v` is not an acceptable id (the same rule for ingest, the producer, consumers and the query API). */
export function idProblem(v: unknown, nullable = false): string | undefined {
  if (v === null && nullable) return undefined;
  if (typeof v !== 'string') return `must be a string${nullable ? ' or null' : ''}, got ${typeName(v)}`;
  if (v.length === 0) return 'must not be empty';
  if (v.length > VALIDATION_DEFAULTS.maxIdLength && [...v].length > VALIDATION_DEFAULTS.maxIdLength)
    return `must be at most ${VALIDATION_DEFAULTS.maxIdLength} characters`;
  return charProblem(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

export function validateEvent(input: unknown, options: ValidationOptions = {}): Validation {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      problems: [{ field: '(event)', reason: `must be a JSON object, got ${typeName(input)}` }],
    };
  }
  const e = input as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const add = (field: string, reason: string | undefined) => {
    if (reason) problems.push({ field, reason });
  };
  for (const key of Object.keys(e)) if (!KNOWN.has(key)) add(key, 'unknown field');
  for (const field of SALE_EVENT_FIELDS) {
    if (!(field in e) && field !== 'customer_id') add(field, 'is required');
  }
  const now = options.now ?? Date.now();
  const maxFuture = options.maxFutureMs ?? VALIDATION_DEFAULTS.maxFutureMs;
  const minTime = options.minEventTime ?? VALIDATION_DEFAULTS.minEventTime;

  if ('event_id' in e)
    add(
      'event_id',
      typeof e['event_id'] === 'string' && UUID.test(e['event_id']) ? undefined : 'must be a UUID string',
    );
  if ('event_time' in e) {
    const t = e['event_time'];
    if (!isInt(t)) add('event_time', `must be an integer epoch-milliseconds timestamp, got ${typeName(t)}`);
    else if (t < minTime) add('event_time', `is before ${new Date(minTime).toISOString()}`);
    else if (t > now + maxFuture)
      add('event_time', `is more than ${Math.round(maxFuture / 1000)} s in the future`);
  }
  if ('store_id' in e) add('store_id', idProblem(e['store_id']));
  if ('sku' in e) add('sku', idProblem(e['sku']));
  if ('basket_id' in e) add('basket_id', idProblem(e['basket_id']));
  if ('customer_id' in e) add('customer_id', idProblem(e['customer_id'], true));
  if ('quantity' in e) {
    const q = e['quantity'];
    if (!isInt(q)) add('quantity', `must be an integer, got ${typeName(q)}`);
    else if (q === 0) add('quantity', 'must not be 0 (negative for a return)');
    else if (Math.abs(q) > VALIDATION_DEFAULTS.maxQuantity)
      add('quantity', `must be within ±${VALIDATION_DEFAULTS.maxQuantity}`);
  }
  if ('unit_price_cents' in e) {
    const p = e['unit_price_cents'];
    if (!isInt(p)) add('unit_price_cents', `must be an integer number of cents, got ${typeName(p)}`);
    else if (p < 0) add('unit_price_cents', 'must be ≥ 0');
    else if (p > VALIDATION_DEFAULTS.maxUnitPriceCents)
      add('unit_price_cents', `must be ≤ ${VALIDATION_DEFAULTS.maxUnitPriceCents}`);
  }
  if ('currency' in e)
    add(
      'currency',
      typeof e['currency'] === 'string' && CURRENCY.test(e['currency'])
        ? undefined
        : 'must be an ISO 4217 code of three capital letters',
    );
  if ('channel' in e)
    add(
      'channel',
      (CHANNELS as readonly unknown[]).includes(e['channel'])
        ? undefined
        : `must be one of ${CHANNELS.join(', ')}`,
    );
  if ('payment_type' in e) {
    add(
      'payment_type',
      (PAYMENT_TYPES as readonly unknown[]).includes(e['payment_type'])
        ? undefined
        : `must be one of ${PAYMENT_TYPES.join(', ')}`,
    );
  }
  if (problems.length > 0) return { ok: false, problems };
  const event = { ...e, customer_id: e['customer_id'] ?? null } as SaleEvent;
  return { ok: true, event };
}

export function describeProblems(problems: FieldProblem[]): string {
  return problems.map((p) => `${p.field} ${p.reason}`).join('; ');
}
