/**
 * The sale event contract (documented in docs/events.md): one Avro schema, from which the TypeScript type is derived
 * at compile time, the validator's field list comes, and the registry registration is made.
 *
 * Evolution rule (docs/events.md): BACKWARD compatible only — a new version may add a field with
 * a default (an optional, nullable field) and may not remove or retype one, so a consumer built on
 * an older schema reads every newer record.
 */
export const SALE_EVENT_SUBJECT = 'retail.sales.v1-value';

export const SALE_EVENT_SCHEMA = {
  type: 'record',
  name: 'SaleEvent',
  namespace: 'retail.sales.v1',
  doc: 'One line of a retail basket: a sale (quantity > 0) or a return (quantity < 0).',
  fields: [
    { name: 'event_id', type: 'string', doc: 'UUID (the generator uses UUIDv7); the idempotency key' },
    { name: 'event_time', type: 'long', doc: 'event time, epoch milliseconds UTC' },
    { name: 'store_id', type: 'string' },
    { name: 'sku', type: 'string' },
    { name: 'quantity', type: 'int', doc: 'negative for a return, never 0' },
    { name: 'unit_price_cents', type: 'long', doc: 'integer cents, >= 0' },
    { name: 'currency', type: 'string', doc: 'ISO 4217, three capital letters' },
    { name: 'channel', type: { type: 'enum', name: 'Channel', symbols: ['store', 'online', 'mobile'] } },
    {
      name: 'payment_type',
      type: { type: 'enum', name: 'PaymentType', symbols: ['card', 'cash', 'wallet', 'gift_card'] },
    },
    { name: 'customer_id', type: ['null', 'string'], default: null },
    { name: 'basket_id', type: 'string' },
  ],
} as const;

type Schema = typeof SALE_EVENT_SCHEMA;
type FieldDef = Schema['fields'][number];

type AvroToTs<T> = T extends 'string'
  ? string
  : T extends 'long' | 'int'
    ? number
    : T extends { type: 'enum'; symbols: readonly (infer S)[] }
      ? S
      : T extends readonly ['null', infer U]
        ? AvroToTs<U> | null
        : never;

/** A sale event exactly as the contract names it (JSON names = Avro names). */
export type SaleEvent = { [F in FieldDef as F['name']]: AvroToTs<F['type']> };

export type Channel = SaleEvent['channel'];
export type PaymentType = SaleEvent['payment_type'];

export const SALE_EVENT_FIELDS = SALE_EVENT_SCHEMA.fields.map((f) => f.name) as readonly (keyof SaleEvent)[];
export const CHANNELS = SALE_EVENT_SCHEMA.fields[7].type.symbols;
export const PAYMENT_TYPES = SALE_EVENT_SCHEMA.fields[8].type.symbols;
