/**
 * Kafka security end to end on a secured broker of this test's own (stack/kafka-secure.ts: no
 * PLAINTEXT listener, SCRAM-SHA-512 over TLS, mutual TLS, ACLs per principal): the real producer
 * process writes the raw topic as `producer`, the real Postgres sink reads it as `sink-postgres`
 * into the shared stack's Postgres, every event exactly once, and the processors commit their
 * transactional changelog writes as `processors`; the ClickHouse raw sink (`sink-clickhouse`) and
 * both aggregate sinks (`sink-aggregates`) write the shared ClickHouse and Postgres — raw rows
 * exactly once, aggregate tables equal to the aggregate topics; `serve` (`ingest`) takes a POSTed
 * batch onto the raw topic exactly once and is refused the DLQ; the DLQ tool and the control
 * command run as theirs; the producer principal writing a topic it has no ACL for, and a wrong
 * password, each end in one clear error line; a mutual-TLS client is its certificate's principal;
 * a sink whose principal lacks its group's or topic's ACL exits with KAFKA_ERROR and the broker's
 * type; last, every principal's SCRAM password is rotated under load (kafka-secure-rotate.ts).
 * One broker start for the whole file.
 *
 * TEST_PORT_BASE (five ports from there: the broker's three, then two `serve`s) and TEST_TMP_DIR
 * place the broker where engineers sharing a machine agreed to; unset, free ports and .stack/tmp.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TOPIC_SPECS, TOPICS } from '../../lib/contracts/topics.js';
import { EtlError } from '../../lib/errors.js';
import {
  createAcls,
  createKafka,
  ensureTopics,
  kafkaError,
  kafkaSecurityFromEnv,
} from '../../lib/kafka/index.js';
import { KAFKA_ADMIN_PRINCIPAL } from '../../stack/kafka-principals.js';
import { startCli } from '../../stack/cli-process.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { spawnSink } from '../helpers/sink-process.js';
import type { SinkChild } from '../helpers/sink-process.js';
import { ThrowawayKafka } from '../helpers/throwaway-kafka.js';
import { bearer, testTokens, tokenEnv } from '../helpers/api-tokens.js';
import { topicSize } from '../helpers/kafka.js';
import { pgQuery } from '../helpers/postgres.js';
import { readAll } from '../processors/helpers/fixture.js';
import { makeEvents } from '../../bench/lib/sale-events.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { freePort } from '../../stack/net.js';
import { pgCounts } from '../sinks/postgres/raw/pg-counts.js';
import { dropTopicsAndSchema } from '../sinks/postgres/raw/process-setup.js';
import { waitUntil } from '../sinks/core/contract.suite.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../helpers/clickhouse.js';
import { chCounts } from '../sinks/clickhouse/raw/ch-counts.js';
import { clickhouseTables, postgresTables, sorted, topicTables } from '../sinks/aggregates/expected.js';
import { scramRotationUnderLoad } from './kafka-secure-rotate.js';

const env = stackEnv(); // the shared registry and Postgres; Kafka is this test's own
const basePort = process.env['TEST_PORT_BASE'] ? Number(process.env['TEST_PORT_BASE']) : undefined;
const parentDir = process.env['TEST_TMP_DIR'];
const EVENTS = 3000;
const INGESTED = 500;
const TOPOLOGY = 'retail-etl-processor-topology-all';
const CHANGELOG = `${TOPOLOGY}-changelog`;
const chUrl = clickhouseUrl(); // the shared ClickHouse, a database of this test's own

/** A client of the secured broker as `principal`, through the same mapping every process uses. */
function clientAs(broker: ThrowawayKafka, vars: Record<string, string>, id: string) {
  return createKafka(id, {
    brokers: [vars['KAFKA_BROKERS'] ?? broker.brokers],
    ...kafkaSecurityFromEnv(vars),
    retry: { retries: 2, initialRetryTime: 100 },
  });
}

/** An aggregate table set (postgresTables & co.) with its maps in key order, for toEqual and for a poll. */
function sortedTables(t: Awaited<ReturnType<typeof topicTables>> | undefined) {
  return (
    t && {
      hourly: [...sorted(t.hourly)],
      top: [...sorted(t.top)],
      rolling: [...sorted(t.rolling)],
      rollingRows: t.rollingRows,
    }
  );
}

describe('Kafka over SASL_SSL and mutual TLS with ACLs per principal (throwaway secured broker)', () => {
  let broker: ThrowawayKafka;
  const schema = uniqueName('saslpg');
  const chDatabase = uniqueName('saslch');
  const running: (CliProcess | SinkChild)[] = [];

  /** `retail-etl <args>` logged in as `principal`, kept in `running` for the clean-up. */
  const startAs = (principal: string, args: string[], extraEnv: Record<string, string> = {}): CliProcess => {
    const proc = startCli(args, { env: { ...broker.saslEnv(principal), ...extraEnv } });
    running.push(proc);
    return proc;
  };
  /** `retail-etl sink <args>` logged in as `principal`, kept in `running` for the clean-up. */
  const sinkAs = (principal: string, args: string[], extraEnv: Record<string, string>): SinkChild => {
    const sink = spawnSink(args, { ...broker.saslEnv(principal), ...extraEnv });
    running.push(sink);
    return sink;
  };
  /** The Postgres raw sink as `sink-postgres` into this test's schema, metrics on a free port. */
  const postgresSink = (extraEnv: Record<string, string>): SinkChild =>
    sinkAs('sink-postgres', ['postgres'], {
      DATABASE_URL: env.DATABASE_URL,
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_METRICS_PORT: '0',
      ...extraEnv,
    });

  beforeAll(async () => {
    const started = Date.now();
    broker = await ThrowawayKafka.create({
      secure: true,
      mtlsClients: ['sink-postgres'],
      ...(basePort !== undefined ? { basePort } : {}),
      ...(parentDir !== undefined ? { parentDir } : {}),
    });
    // The admin principal lays out the topics, as `make up` would: each process then finds them.
    const admin = clientAs(broker, broker.saslEnv(KAFKA_ADMIN_PRINCIPAL), 'sasl-admin').admin();
    await admin.connect();
    await ensureTopics(admin, [
      { topic: TOPICS.sales, numPartitions: 3 },
      ...DEFAULT_TOPIC_SPECS.filter((t) => t.topic !== TOPICS.sales),
    ]);
    await admin.disconnect();
    process.stderr.write(`[kafka-secure] secured broker ready in ${Date.now() - started} ms\n`);
  });

  afterAll(async () => {
    for (const p of running) await p.stop(5000).catch(() => undefined);
    await broker?.destroy();
    await dropTopicsAndSchema(env.DATABASE_URL, [], schema).catch(() => undefined);
    await dropDatabase(chDatabase, chUrl).catch(() => undefined);
  });

  it('producer → raw topic → Postgres sink and processors, each as its own SCRAM principal: every event exactly once', async () => {
    const producer = startAs('producer', ['producer', 'run'], {
      PRODUCER_COUNT: String(EVENTS),
      PRODUCER_RATE: '3000',
      PRODUCER_DUPLICATE_SHARE: '0',
      // No event lags the clock: none is late for the processors, so the hourly sums are the raw sums.
      PRODUCER_LATE_SHARE: '0',
      PRODUCER_METRICS_PORT: '0',
    });
    const sink = postgresSink({ SINK_POSTGRES_MAX_WAIT_MS: '100' });
    // The processors as theirs: transactional writes to their changelog under their own ids.
    const processors = startAs('processors', ['processor', 'all'], { PROCESSOR_METRICS_PORT: '0' });
    expect(await producer.exit(120_000), producer.tail()).toBe(0);
    await waitUntil(
      async () => (await pgCounts(env.DATABASE_URL, schema)).count >= EVENTS,
      90_000,
      `${EVENTS} rows in ${schema}.sales_raw`,
    );
    const counts = await pgCounts(env.DATABASE_URL, schema);
    expect(counts.count).toBe(EVENTS);
    expect(counts.distinct).toBe(EVENTS);
    await sink.stop(10_000);
    const admin = clientAs(broker, broker.saslEnv(KAFKA_ADMIN_PRINCIPAL), 'sasl-admin-check').admin();
    await admin.connect();
    const changelogWrites = async () =>
      (await admin.fetchTopicOffsets(CHANGELOG)).reduce((n, o) => n + Number(o.high), 0);
    await waitUntil(async () => (await changelogWrites()) > 0, 90_000, `writes to ${CHANGELOG}`);
    await admin.disconnect();
    await processors.stop(10_000);
    expect(processors.output()).not.toMatch(/AUTHORIZATION_FAILED/);
    // No process logged a password.
    for (const principal of ['producer', 'sink-postgres', 'processors']) {
      const password = readFileSync(broker.saslEnv(principal)['KAFKA_SASL_PASSWORD_FILE']!, 'utf8').trim();
      expect(producer.output() + sink.output() + processors.output()).not.toContain(password);
    }
  });

  it('ClickHouse raw sink and both aggregate sinks, each as its own SCRAM principal: raw rows exactly once, aggregate tables equal to the topics', async () => {
    const chRaw = sinkAs('sink-clickhouse', ['clickhouse'], {
      CLICKHOUSE_URL: chUrl,
      SINK_CLICKHOUSE_DATABASE: chDatabase,
      SINK_CLICKHOUSE_METRICS_PORT: '0',
      SINK_CLICKHOUSE_MAX_WAIT_MS: '200',
    });
    // The processors again (the first test stopped them part way): they resume from their commits.
    const processors = startAs('processors', ['processor', 'all'], { PROCESSOR_METRICS_PORT: '0' });
    const aggSink = (target: 'postgres' | 'clickhouse') =>
      sinkAs('sink-aggregates', ['aggregates'], {
        SINK_AGGREGATES_TARGET: target,
        DATABASE_URL: env.DATABASE_URL,
        SINK_AGGREGATES_SCHEMA: schema,
        CLICKHOUSE_URL: chUrl,
        SINK_AGGREGATES_CLICKHOUSE_DATABASE: chDatabase,
        SINK_AGGREGATES_METRICS_PORT: '0',
        SINK_AGGREGATES_MAX_WAIT_MS: '100',
      });
    const aggPg = aggSink('postgres');
    const aggCh = aggSink('clickhouse');
    // Each consumes as its principal (one refused exits here with the broker's answer in its tail).
    for (const sink of [chRaw, aggPg, aggCh]) await sink.waitForLog(/"sink running"/, 60_000);

    const ch = clickhouseClient(chUrl);
    const admin = clientAs(broker, broker.saslEnv(KAFKA_ADMIN_PRINCIPAL), 'sasl-admin-agg').admin();
    await admin.connect();
    try {
      await waitUntil(
        async () => (await chCounts(ch, chDatabase).catch(() => ({ count: 0 }))).count >= EVENTS,
        90_000,
        `${EVENTS} rows in ClickHouse ${chDatabase}.sales_raw`,
      );
      const raw = await chCounts(ch, chDatabase);
      expect(raw.count).toBe(EVENTS);
      expect(raw.distinct).toBe(EVENTS);
      // The same events as in Postgres (written by the first test's sink), to the cent.
      expect(raw).toEqual(await pgCounts(env.DATABASE_URL, schema));

      // Processors caught up with the raw topic; stopped, so the aggregate topics stay as they are.
      const end = await admin.fetchTopicOffsets(TOPICS.sales);
      await waitUntil(
        async () => {
          const [c] = await admin.fetchOffsets({ groupId: TOPOLOGY, topics: [TOPICS.sales] });
          return end.every(
            (e) =>
              Number(c?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1) >= Number(e.high),
          );
        },
        90_000,
        `${TOPOLOGY} caught up with ${TOPICS.sales}`,
      );
      expect(await processors.stop(20_000), processors.tail()).toBe(0);
      const all = { rollingFrom: 0, rollingTo: Number.MAX_SAFE_INTEGER };
      const emitted = await topicTables(
        createKafka('sasl-agg-read', {
          brokers: [broker.brokers],
          ...kafkaSecurityFromEnv(broker.saslEnv(KAFKA_ADMIN_PRINCIPAL)),
        }),
        { hourly: TOPICS.salesHourly, topSkus: TOPICS.topSkus, rolling: TOPICS.storeRolling },
        all,
      );
      // No event was late (PRODUCER_LATE_SHARE 0): the hourly rows sum to the raw quantity.
      expect(emitted.hourly.size).toBeGreaterThan(0);
      expect([...emitted.hourly.values()].reduce((n, v) => n + Number(v[0]), 0)).toBe(raw.quantity);
      expect([...emitted.hourly.values()].reduce((n, v) => n + BigInt(v[1] as string), 0n)).toBe(
        BigInt(raw.value),
      );
      process.stderr.write(
        `[kafka-secure] aggregate topics: ${emitted.hourly.size} hourly, ${emitted.top.size} top-SKU hours, ${emitted.rollingRows} rolling rows\n`,
      );
      const db = new pg.Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      try {
        const same = async () =>
          JSON.stringify(sortedTables(await postgresTables(db, schema, all).catch(() => undefined))) ===
            JSON.stringify(sortedTables(emitted)) &&
          JSON.stringify(sortedTables(await clickhouseTables(ch, chDatabase, all).catch(() => undefined))) ===
            JSON.stringify(sortedTables(emitted));
        await waitUntil(same, 60_000, 'the aggregate tables equal to the aggregate topics').catch(
          () => undefined,
        );
        expect(sortedTables(await postgresTables(db, schema, all))).toEqual(sortedTables(emitted));
        expect(sortedTables(await clickhouseTables(ch, chDatabase, all))).toEqual(sortedTables(emitted));
      } finally {
        await db.end();
      }
    } finally {
      await admin.disconnect();
      await ch.close();
    }
    for (const sink of [chRaw, aggPg, aggCh]) {
      expect(await sink.stop(10_000), sink.tail()).toBe(0);
      expect(sink.output()).not.toMatch(/AUTHORIZATION_FAILED/);
    }
    for (const principal of ['sink-clickhouse', 'sink-aggregates', 'processors']) {
      const password = readFileSync(broker.saslEnv(principal)['KAFKA_SASL_PASSWORD_FILE']!, 'utf8').trim();
      for (const p of [chRaw, aggPg, aggCh, processors]) expect(p.output()).not.toContain(password);
    }
  });

  it('the DLQ tool and the control command, each as its own principal', async () => {
    const dlq = startAs('dlq', ['dlq', 'list']);
    expect(await dlq.exit(60_000), dlq.tail()).toBe(0);
    const status = startAs('control', ['producer', 'status', '--json']);
    expect(await status.exit(60_000), status.tail()).toBe(0);
    expect(status.output()).not.toMatch(/AUTHORIZATION_FAILED/);
  });

  it('the producer principal writing a topic it has no ACL for: one line, TOPIC_AUTHORIZATION_FAILED, not retriable', async () => {
    const denied = startAs('producer', ['producer', 'run'], {
      PRODUCER_TOPIC: TOPICS.dlq,
      PRODUCER_COUNT: '10',
      PRODUCER_CONTROL: 'false',
      PRODUCER_METRICS_PORT: '0',
    });
    expect(await denied.exit(60_000)).not.toBe(0);
    expect(denied.output()).toMatch(
      /KAFKA_ERROR: .*retail\.sales\.dlq.*\[server: TOPIC_AUTHORIZATION_FAILED\]/,
    );
    expect(denied.output()).toContain('docs/security.md#kafka');

    // The same through the library: the mapped error says what failed and that a retry cannot help.
    const kafka = clientAs(broker, broker.saslEnv('producer'), 'sasl-denied');
    const p = kafka.producer();
    await p.connect();
    const err = await p.send({ topic: TOPICS.dlq, messages: [{ value: 'x' }] }).then(
      () => undefined,
      (e: unknown) => kafkaError('send', e),
    );
    await p.disconnect();
    expect(err).toBeInstanceOf(EtlError);
    expect(err?.serverCode).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(err?.retriable).toBe(false);
  });

  it('a sink whose principal lacks the ACL for its group or topic exits non-zero: KAFKA_ERROR with the broker’s type', async () => {
    // A group sink-postgres has no grant for: the join is refused.
    const group = postgresSink({ SINK_POSTGRES_GROUP_ID: uniqueName('ungranted-group') });
    expect(await group.exit(60_000), group.tail()).not.toBe(0);
    expect(group.output()).toMatch(
      /error: KAFKA_ERROR: sink postgres .*as group ungranted-group.*\[server: GROUP_AUTHORIZATION_FAILED\] — .*docs\/security\.md#kafka/,
    );
    // A topic it may describe (it writes the DLQ) but not read: the fetch is refused.
    const topic = postgresSink({ SINK_POSTGRES_TOPIC: TOPICS.dlq });
    expect(await topic.exit(60_000), topic.tail()).not.toBe(0);
    expect(topic.output()).toMatch(
      /error: KAFKA_ERROR: sink postgres .*retail\.sales\.dlq.*\[server: TOPIC_AUTHORIZATION_FAILED\]/,
    );
  });

  it('a wrong SCRAM password is refused at connect, not retried', async () => {
    const vars = { ...broker.saslEnv('producer') };
    delete vars['KAFKA_SASL_PASSWORD_FILE'];
    const admin = clientAs(
      broker,
      { ...vars, KAFKA_SASL_PASSWORD: 'not-the-password' },
      'sasl-wrong',
    ).admin();
    const err = await admin.connect().then(
      () => undefined,
      (e: unknown) => kafkaError('connect', e),
    );
    await admin.disconnect();
    expect(err?.retriable).toBe(false);
    expect(err?.hint).toContain('refused the SASL credentials');
  });

  it('mutual TLS: the certificate’s CN is the principal, with that principal’s ACLs', async () => {
    const kafka = clientAs(broker, broker.mtlsEnv('sink-postgres'), 'mtls-sink');
    const admin = kafka.admin();
    await admin.connect();
    // sink-postgres may describe the raw topic (it reads it)…
    const offsets = await admin.fetchTopicOffsets(TOPICS.sales);
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(EVENTS);
    await admin.disconnect();
    // …but not write it.
    const p = kafka.producer();
    await p.connect();
    const err = await p.send({ topic: TOPICS.sales, messages: [{ value: 'x' }] }).then(
      () => undefined,
      (e: unknown) => kafkaError('send', e),
    );
    await p.disconnect();
    expect(err?.serverCode).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  // After the mutual-TLS test, which counts the raw topic: this adds events to it.
  it('serve as `ingest`: a batch POSTed with the ingest token is on the raw topic exactly once and reaches Postgres; pointed at the DLQ or a transactional id it has no grant for, 503 KAFKA_ERROR naming the refusal, logged once, nothing written; ready once granted', async () => {
    const tokens = testTokens();
    const serveAs = async (extra: Record<string, string>, portOffset: number) => {
      const port = basePort !== undefined ? basePort + portOffset : await freePort();
      const serve = startAs('ingest', ['serve', '--port', String(port)], {
        ...tokenEnv(tokens),
        QUERY_SCHEMA: schema,
        ...extra,
      });
      return { serve, url: `http://127.0.0.1:${port}` };
    };
    const post = async (url: string, events: unknown[]) => {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
        body: JSON.stringify(events),
      });
      return { status: res.status, body: await res.text() };
    };
    const readyz = async (url: string) => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: await res.text() };
    };
    const { serve, url } = await serveAs({}, 3);
    await serve.waitFor(/ingest connected to Kafka/, 60_000);
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, 'serve ready').catch(
      (err: Error) => {
        throw new Error(`${err.message}\n${serve.tail(30)}`);
      },
    );
    const events = makeEvents(INGESTED, { stores: 12, seed: 7 });
    const accepted = await post(url, events);
    expect(accepted, serve.tail()).toEqual({ status: 202, body: JSON.stringify({ accepted: INGESTED }) });

    // Read back as the admin, read_committed: each event once, as sent.
    const kafka = clientAs(broker, broker.saslEnv(KAFKA_ADMIN_PRINCIPAL), 'sasl-ingest-read');
    const serde = new SaleEventSerde(createRegistry(env.SCHEMA_REGISTRY_URL));
    const sent = new Map(events.map((e) => [e.event_id, e]));
    const seen = new Map<string, number>();
    for (const r of await readAll({ kafka }, TOPICS.sales)) {
      if (!r.value) continue;
      const e = await serde.decode(r.value);
      if (!sent.has(e.event_id)) continue;
      expect(e).toEqual(sent.get(e.event_id));
      seen.set(e.event_id, (seen.get(e.event_id) ?? 0) + 1);
    }
    expect(seen.size).toBe(INGESTED);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);

    // The Postgres sink (as sink-postgres) brings them into sales_raw once.
    const sink = postgresSink({ SINK_POSTGRES_MAX_WAIT_MS: '100' });
    await waitUntil(
      async () => (await pgCounts(env.DATABASE_URL, schema)).count >= EVENTS + INGESTED,
      60_000,
      `${EVENTS + INGESTED} rows in ${schema}.sales_raw`,
    );
    const ids = await pgQuery<{ n: string; d: string }>(
      env.DATABASE_URL,
      `SELECT count(*) n, count(DISTINCT event_id) d FROM "${schema}".sales_raw WHERE event_id = ANY($1::uuid[])`,
      [[...sent.keys()]],
    );
    expect(ids).toEqual([{ n: String(INGESTED), d: String(INGESTED) }]);
    expect((await pgCounts(env.DATABASE_URL, schema)).count).toBe(EVENTS + INGESTED);
    // The control panel runs in the same process on the same login: a rate change is published
    // to the control topic and read back by the panel's own follower.
    const rate = await fetch(`${url}/v1/control/producer/rate`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...bearer(tokens.control) },
      body: JSON.stringify({ rate: 100 }),
    });
    expect(rate.status, serve.tail()).toBe(200);
    expect(await rate.json()).toMatchObject({ confirmed: true });
    expect(await sink.stop(10_000), sink.tail()).toBe(0);
    expect(await serve.stop(10_000), serve.tail()).toBe(0);
    expect(serve.output()).not.toMatch(/AUTHORIZATION_FAILED/);

    // The ingest principal may not write the DLQ: serve pointed at it logs the broker's refusal
    // once and never connects; a POST is answered 503 KAFKA_ERROR, retriable: false, naming the
    // broker's type, the topic and the principal — nothing written; /readyz says the same.
    const dlqBefore = await topicSize(kafka, TOPICS.dlq);
    const denied = await serveAs({ INGEST_TOPIC: TOPICS.dlq }, 4);
    await denied.serve.waitFor(/"serverCode":"TOPIC_AUTHORIZATION_FAILED"/, 60_000);
    const refusedAt = Date.now();
    const refused = await post(denied.url, events.slice(0, 10));
    expect(refused.status, denied.serve.tail()).toBe(503);
    expect(refused.body).toContain(`could not create topics ${TOPICS.dlq}`);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: 'KAFKA_ERROR',
      retriable: false,
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      resource: { kind: 'topic', name: TOPICS.dlq },
      principal: 'ingest',
      accepted: 0,
    });
    expect(await readyz(denied.url)).toEqual({
      status: 503,
      body: expect.stringContaining(
        `ingest: kafka refused: TOPIC_AUTHORIZATION_FAILED on topic ${TOPICS.dlq} for principal ingest`,
      ),
    });
    expect(await topicSize(kafka, TOPICS.dlq)).toBe(dlqBefore);

    // A transactional id outside its grant (`retail-ingest-*`): refused by name, the same way.
    const txId = uniqueName('denied-ingest');
    const txDenied = await serveAs({ INGEST_TRANSACTIONAL_ID: txId }, 5);
    await txDenied.serve.waitFor(/"serverCode":"TRANSACTIONAL_ID_AUTHORIZATION_FAILED"/, 60_000);
    const txRefused = await post(txDenied.url, events.slice(0, 10));
    expect(txRefused.status, txDenied.serve.tail()).toBe(503);
    expect(JSON.parse(txRefused.body)).toMatchObject({
      error: 'KAFKA_ERROR',
      retriable: false,
      serverCode: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
      resource: { kind: 'transactional id', name: txId },
      principal: 'ingest',
    });
    expect((await readyz(txDenied.url)).body).toContain(
      `kafka refused: TRANSACTIONAL_ID_AUTHORIZATION_FAILED on transactional id ${txId} for principal ingest`,
    );

    // Past the first retry (5 s after the refusal; the old loop retried every second), the DLQ
    // refusal is still logged exactly once — not once per attempt — with its backoff.
    const firstRetry = 5_000 + 1_000 - (Date.now() - refusedAt);
    if (firstRetry > 0) await new Promise((r) => setTimeout(r, firstRetry));
    const refusalLines = (out: string) =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => String(l['msg']).startsWith('ingest: kafka refused'));
    const lines = refusalLines(denied.serve.output());
    expect(lines, denied.serve.tail()).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      code: 'KAFKA_ERROR',
      retryInMs: 5000,
      principal: 'ingest',
    });
    expect(refusalLines(txDenied.serve.output())).toHaveLength(1);

    // An operator grants the id: the same server becomes ready without a restart (its backoff
    // tops out at a minute) and says the refusal is over.
    const aclAdmin = clientAs(broker, broker.saslEnv(KAFKA_ADMIN_PRINCIPAL), 'sasl-acl').admin();
    await aclAdmin.connect();
    await createAcls(aclAdmin, [
      { principal: 'ingest', resource: 'transactional-id', name: txId, operations: ['write', 'describe'] },
    ]);
    await aclAdmin.disconnect();
    await waitUntil(
      async () => (await readyz(txDenied.url)).status === 200,
      90_000,
      'serve ready after the grant',
    );
    expect(txDenied.serve.output()).toContain('ingest: Kafka no longer refuses');
    await denied.serve.stop(10_000);
    await txDenied.serve.stop(10_000);
    const password = readFileSync(broker.saslEnv('ingest')['KAFKA_SASL_PASSWORD_FILE']!, 'utf8').trim();
    expect(serve.output() + denied.serve.output() + txDenied.serve.output()).not.toContain(password);
  });

  // Last: it changes every password and adds events to the raw topic the tests above count.
  it('secrets rotate: every principal’s SCRAM password while events flow — every event once, old passwords refused', async () => {
    await scramRotationUnderLoad({
      broker,
      databaseUrl: env.DATABASE_URL,
      schema,
      startSink: () => postgresSink({ SINK_POSTGRES_MAX_WAIT_MS: '100' }),
    });
  }, 300_000);
});
