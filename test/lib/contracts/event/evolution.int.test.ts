/**
 * Schema evolution end to end, while every consumer runs: the raw Postgres sink, the processors
 * (one topology) and the aggregate sink read the first half of a seeded input written with the
 * contract's schema; then a new version that adds an optional field (`promotion_id`) is registered
 * and the second half is written with it. Nothing stops and nothing is lost: the raw table holds
 * every event once (count, distinct ids, sums), the processors' outputs and the aggregate tables equal
 * the SQL recomputation over the whole input, and only the two poison records are dead letters.
 * A version that breaks the rule (a field's type changed) is refused by the registry, and the
 * serde every producer registers through answers SCHEMA_INCOMPATIBLE at once, not retriable.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcessors } from '../../../../processors/app.js';
import type { RunningProcessors } from '../../../../processors/app.js';
import { startSinkProcess } from '../../../../sinks/raw/run.js';
import type { SinkProcess } from '../../../../sinks/raw/run.js';
import { startAggregatesProcess } from '../../../../sinks/aggregates/run.js';
import type { AggregatesProcess } from '../../../../sinks/aggregates/run.js';
import { createRegistry, SaleEventSerde } from '../../../../lib/contracts/event/serde.js';
import { SALE_EVENT_SCHEMA } from '../../../../lib/contracts/event/schema.js';
import type { SaleEvent } from '../../../../lib/contracts/event/schema.js';
import { createTopic } from '../../../../bench/lib/sale-events.js';
import { stackEnv, uniqueName } from '../../../helpers/env.js';
import { waitUntil } from '../../../sinks/core/contract.suite.js';
import { checkHourly, checkRolling, checkTopSkus, lateIds } from '../../../processors/helpers/checks.js';
import { createFixture, readAll, waitCaughtUp } from '../../../processors/helpers/fixture.js';
import { waitAggSinkCaughtUp } from '../../../sinks/aggregates/caught-up.js';
import type { Fixture } from '../../../processors/helpers/fixture.js';
import { expectedTables, postgresTables, sorted } from '../../../sinks/aggregates/expected.js';
import { pgCounts } from '../../../sinks/postgres/raw/pg-counts.js';

const TOP_N = 5;
const V2 = {
  ...SALE_EVENT_SCHEMA,
  fields: [...SALE_EVENT_SCHEMA.fields, { name: 'promotion_id', type: ['null', 'string'], default: null }],
};

describe('schema evolution while the pipeline runs', () => {
  const env = stackEnv();
  const rawSchema = uniqueName('evolraw');
  const aggSchema = uniqueName('evolagg');
  const rawDlq = uniqueName('evolrawdlq');
  const aggDlq = uniqueName('evolaggdlq');
  const subject = `${uniqueName('evolution')}-value`;
  const aggGroup = uniqueName('evolagg-g');
  let f: Fixture;
  let processors: RunningProcessors | undefined;
  let raw: SinkProcess | undefined;
  let agg: AggregatesProcess | undefined;
  let db: pg.Client;
  let v1Id = 0;
  let v2Id = 0;

  /**
   * Expected raw counts over the whole input, from the fixture's own copy of it: one row per event
   * id (the raw table is idempotent by event_id; the fixture's re-sends are exact copies).
   */
  const expectedRaw = async () => {
    const r = await db.query<{ n: string; d: string; q: string; v: string }>(
      `SELECT count(*) n, count(DISTINCT event_id) d, sum(quantity) q, sum(quantity::numeric * unit_price_cents) v
         FROM (SELECT DISTINCT ON (event_id) * FROM ${f.table}) t`,
    );
    const row = r.rows[0];
    return {
      count: Number(row?.n),
      distinct: Number(row?.d),
      quantity: Number(row?.q),
      value: Number(row?.v),
    };
  };

  beforeAll(async () => {
    db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    f = await createFixture({ events: 8_000, seed: 23, firstFraction: 0.5 });
    await createTopic(rawDlq, 1);
    await createTopic(aggDlq, 1);
    processors = await runProcessors(['hourly', 'top-skus', 'rolling'], { ...f.options, topN: TOP_N });
    raw = await startSinkProcess('postgres', {
      schema: rawSchema,
      topic: f.topics.input,
      dlqTopic: rawDlq,
      groupId: uniqueName('evolraw-g'),
      metricsPort: 0,
      maxWaitMs: 100,
    });
    agg = await startAggregatesProcess({
      hourlyTopic: f.topics.hourly,
      topSkusTopic: f.topics.topSkus,
      rollingTopic: f.topics.rolling,
      dlqTopic: aggDlq,
      groupId: aggGroup,
      schema: aggSchema,
      metricsPort: 0,
      maxWaitMs: 100,
    });
    // Every consumer has read (part of) the first half before the new version exists.
    await waitUntil(async () => (await pgCounts(env.DATABASE_URL, rawSchema)).count > 0, 60_000, 'raw rows');
    await waitCaughtUp(f, 'all', 60_000);

    const registry = createRegistry(env.SCHEMA_REGISTRY_URL);
    const v1 = new SaleEventSerde(registry, SALE_EVENT_SCHEMA, subject);
    v1Id = await v1.register();
    const v2 = new SaleEventSerde(registry, V2, subject);
    v2Id = await v2.register();
    let n = 0;
    await f.produceRest({
      encode: (e: SaleEvent) => v2.encode({ ...e, promotion_id: `PROMO-${n++ % 7}` } as SaleEvent),
    });

    await waitCaughtUp(f, 'all', 90_000);
    const want = await expectedRaw();
    await waitUntil(
      async () => (await pgCounts(env.DATABASE_URL, rawSchema)).count >= want.count,
      90_000,
      'every raw record',
    );
  });

  afterAll(async () => {
    await agg?.stop().catch(() => undefined);
    await raw?.stop().catch(() => undefined);
    await processors?.stop().catch(() => undefined);
    for (const s of [rawSchema, aggSchema])
      await db?.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await f?.admin.deleteTopics({ topics: [rawDlq, aggDlq] }).catch(() => undefined);
    await db?.end();
    await f?.cleanup();
  });

  it('registered a second version that adds an optional field, and wrote half the input with it', () => {
    expect(v2Id).toBeGreaterThan(0);
    expect(v2Id).not.toBe(v1Id);
  });

  it('the raw table holds every record of both versions: count, distinct ids and sums exact', async () => {
    const want = await expectedRaw();
    expect(await pgCounts(env.DATABASE_URL, rawSchema)).toEqual(want);
    // Only the fixture's two poison records were dead-lettered; no record of either version.
    const dead = await readAll(f, rawDlq);
    expect(dead).toHaveLength(f.poison);
  });

  it('the processors’ outputs equal the SQL recomputation over the whole input', async () => {
    const late = (await lateIds(f)).ids;
    expect(await checkHourly(f, late['hourly'] ?? [])).toBeGreaterThan(100);
    expect(await checkTopSkus(f, late['top-skus'] ?? [], TOP_N)).toBeGreaterThanOrEqual(4);
    expect(await checkRolling(f, late['rolling'] ?? [])).toBeGreaterThan(100);
  });

  it('the aggregate tables equal the SQL recomputation', async () => {
    const expected = await expectedTables(f, TOP_N);
    const admin = new pg.Client({ connectionString: env.DATABASE_URL });
    await admin.connect();
    try {
      await waitAggSinkCaughtUp(f, admin, aggSchema, aggGroup, 60_000);
      const got = await postgresTables(admin, aggSchema, expected);
      expect(sorted(got.hourly)).toEqual(sorted(expected.hourly));
      expect(sorted(got.top)).toEqual(sorted(expected.top));
      expect(got.rollingOutside).toBe(0);
      expect(sorted(got.rolling)).toEqual(sorted(expected.rolling));
    } finally {
      await admin.end();
    }
  });

  it('a version that changes a field’s type is refused: SCHEMA_INCOMPATIBLE at once, naming the field', async () => {
    const broken = {
      ...SALE_EVENT_SCHEMA,
      fields: SALE_EVENT_SCHEMA.fields.map((fl) => (fl.name === 'quantity' ? { ...fl, type: 'string' } : fl)),
    };
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL), broken, subject);
    const err = await serde.register().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', retriable: false, serverCode: 'HTTP 409' });
    expect((err as Error).message).toMatch(/fields\/4/);
  });
});
