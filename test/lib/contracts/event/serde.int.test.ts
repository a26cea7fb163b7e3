import { describe, expect, it } from 'vitest';
import { createRegistry, SaleEventSerde } from '../../../../lib/contracts/event/serde.js';
import { SALE_EVENT_SCHEMA } from '../../../../lib/contracts/event/schema.js';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import { uuidv7 } from '../../../../lib/uuid.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';

const sample = (): SaleEvent => ({
  event_id: uuidv7(),
  event_time: Date.now(),
  store_id: 'S001',
  sku: 'SKU-42',
  quantity: -2,
  unit_price_cents: 1999,
  currency: 'EUR',
  channel: 'online',
  payment_type: 'card',
  customer_id: null,
  basket_id: 'B-1',
});

describe('SaleEventSerde against the real Schema Registry', () => {
  const env = stackEnv();

  it('registers the schema and round-trips an event in Confluent framing', async () => {
    const subject = `${uniqueName('serde')}-value`;
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), SALE_EVENT_SCHEMA, subject);
    const id = await serde.register();
    const event = sample();
    const buf = serde.encode(event);
    expect(buf[0]).toBe(0);
    expect(buf.readInt32BE(1)).toBe(id);
    // A fresh reader knows nothing but the registry: it fetches the writer schema by id.
    const reader = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), SALE_EVENT_SCHEMA, subject);
    expect(await reader.decode(buf)).toEqual(event);
  });

  it('an old consumer reads a record written with a newer schema that adds an optional field', async () => {
    const subject = `${uniqueName('evolve')}-value`;
    const v2 = {
      ...SALE_EVENT_SCHEMA,
      fields: [
        ...SALE_EVENT_SCHEMA.fields,
        { name: 'promotion_id', type: ['null', 'string'], default: null },
      ],
    };
    const oldSerde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), SALE_EVENT_SCHEMA, subject);
    await oldSerde.register();
    const newSerde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), v2, subject);
    const newId = await newSerde.register();
    expect(newId).not.toBe(oldSerde.schemaId);
    const event = sample();
    const buf = newSerde.encode({ ...event, promotion_id: 'PROMO-7' } as unknown as SaleEvent);
    const reader = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), SALE_EVENT_SCHEMA, subject);
    expect(await reader.decode(buf)).toEqual(event);
  });

  it('processes registering a new subject at the same moment all get the same id (regression: 409 rule exists)', async () => {
    const subject = `${uniqueName('race')}-value`;
    const serdes = Array.from(
      { length: 6 },
      () => new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), SALE_EVENT_SCHEMA, subject),
    );
    const ids = await Promise.all(serdes.map((s) => s.register()));
    expect(new Set(ids).size).toBe(1);
  });

  it('an unknown schema id is a DECODE_FAILED error, not a crash', async () => {
    const reader = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL));
    const buf = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
    await expect(reader.decode(buf)).rejects.toMatchObject({ code: 'DECODE_FAILED' });
  });
});
