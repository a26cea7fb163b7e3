/**
 * A client retrying the same ingest request (issue 11), end to end against a real `retail-etl
 * serve` process, real Kafka, and both raw sinks writing their own tables:
 *   - after a timeout: the client sends the whole request and hangs up before the answer — the
 *     events are written, the answer is lost — then sends the identical request again (202);
 *   - after a 503: a server cut off from Kafka (its only route is a port that starts forwarding to
 *     the broker later) answers 503; the client retries the identical request until it is
 *     accepted, as docs/ingest.md tells it to.
 * Kafka may then hold a request's events twice; `sales_raw` in Postgres and in ClickHouse must hold
 * each event_id once, with exact sums.
 */
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import type { ClickHouseClient } from '@clickhouse/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka/index.js';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import type { CliProcess } from '../../stack/cli-process.js';
import { startCli } from '../../stack/cli-process.js';
import { freePort } from '../../stack/net.js';
import { startSinkProcess } from '../../sinks/raw/run.js';
import type { SinkProcess } from '../../sinks/raw/run.js';
import { makeEvents, totals } from '../../bench/lib/sale-events.js';
import type { Totals } from '../../bench/lib/sale-events.js';
import { bearer, testTokens, tokenEnv } from '../helpers/api-tokens.js';
import { clickhouseClient, clickhouseUrl, dropDatabase } from '../helpers/clickhouse.js';
import { stackEnv, uniqueName } from '../helpers/env.js';
import { deleteTopics, readTopic } from '../helpers/kafka.js';
import { CONTRACT_LOOP, waitUntil } from '../sinks/core/contract.suite.js';
import { chCounts } from '../sinks/clickhouse/raw/ch-counts.js';
import { pgCounts } from '../sinks/postgres/raw/pg-counts.js';
import { metricValue } from '../sinks/raw/stream.js';

/** Send a whole POST and hang up without reading the answer (a client whose timeout fired). */
function sendAndHangUp(port: number, token: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve();
      else reject(err);
    });
    socket.on('close', () => resolve());
    socket.write(
      `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
    // The request is complete; the client stops waiting and closes its side at once.
    socket.end(body, () => socket.destroy());
  });
}

describe('a client retrying the same ingest request, end to end', () => {
  const env = stackEnv();
  const name = uniqueName('ingretry');
  const topic = `${name}.sales`;
  const transactionalId = `${name}-txn`;
  const schema = uniqueName('ingretrypg');
  const database = uniqueName('ingretrych');
  const tokens = testTokens();
  const kafka = createKafka('ingest-retry-test');
  const url = clickhouseUrl();
  let serve: CliProcess | undefined;
  let base = '';
  let port = 0;
  let ch: ClickHouseClient | undefined;
  const groups: string[] = [];
  const sinks: { kind: 'postgres' | 'clickhouse'; proc: SinkProcess }[] = [];
  const sent: SaleEvent[] = [];
  let resent = 0;

  const post = async (body: string, to = base) => {
    const res = await fetch(`${to}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(tokens.ingest) },
      body,
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  /** Both sinks have seen every duplicate Kafka holds; then both tables must hold each id once. */
  async function expectStoredOnce(): Promise<void> {
    const expected: Totals = totals(sent);
    for (const { kind, proc } of sinks)
      await waitUntil(
        async () =>
          (await metricValue(proc.port, 'retail_sink_duplicates_dropped_total', { sink: kind })) >= resent,
        60_000,
        `${kind} dropping the ${resent} re-sent events`,
      );
    for (const counts of [
      () => pgCounts(env.DATABASE_URL, schema),
      () => chCounts(ch as ClickHouseClient, database),
    ]) {
      await waitUntil(async () => (await counts()).count >= sent.length, 60_000, 'every event stored');
      expect(await counts()).toEqual({ ...expected, distinct: sent.length });
    }
  }

  beforeAll(async () => {
    serve = startCli(['serve', '--port', '0', '--topic', topic], {
      name: 'serve (retry)',
      env: {
        ...tokenEnv(tokens),
        INGEST_TRANSACTIONAL_ID: transactionalId,
        PRODUCER_GROUP: name,
        PRODUCER_CONTROL_TOPIC: `${name}.control`,
        PROMETHEUS_URL: 'http://127.0.0.1:9',
      },
    });
    base = (await serve.waitFor(/serving on (http:\/\/\S+)/, 60_000))[1] ?? '';
    port = Number(new URL(base).port);
    await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 'serve ready');
    ch = clickhouseClient(url);
    for (const [kind, target] of [
      ['postgres', { schema, databaseUrl: env.DATABASE_URL }],
      ['clickhouse', { url, database }],
    ] as const) {
      const groupId = uniqueName(`grp-${kind}`);
      groups.push(groupId);
      const proc = await startSinkProcess(kind, {
        ...target,
        topic,
        groupId,
        dlqTopic: `${name}.dlq`,
        ...CONTRACT_LOOP,
      });
      sinks.push({ kind, proc });
    }
  }, 120_000);

  afterAll(async () => {
    for (const s of sinks) await s.proc.stop().catch(() => undefined);
    await serve?.stop();
    await deleteTopics(kafka, [topic, `${name}.dlq`, `${name}.control`]).catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    await ch?.close();
    await dropDatabase(database, url);
  }, 60_000);

  it('after a timeout (answer lost, events written): the identical retry is stored once', async () => {
    const events = makeEvents(400, { seed: 5 });
    const body = JSON.stringify(events);
    await sendAndHangUp(port, tokens.ingest, body);
    // The lost attempt was written: its events reach Kafka (committed) with nobody to tell.
    await waitUntil(
      async () => (await readTopic(kafka, topic)).length >= 400,
      30_000,
      'the lost attempt in Kafka',
    );
    const retry = await post(body);
    expect(retry).toMatchObject({ status: 202, json: { accepted: 400 } });
    expect((await readTopic(kafka, topic)).length).toBe(800);
    sent.push(...events);
    resent += 400;
    await expectStoredOnce();
  });

  it('after a 503 (Kafka unreachable): the identical retry is stored once', async () => {
    // A second server whose only way to Kafka is a port nobody listens on yet: it answers 503.
    const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',')[0] ?? '127.0.0.1:9092';
    const [brokerHost, brokerPort] = [brokers.split(':')[0] ?? '127.0.0.1', Number(brokers.split(':')[1])];
    const gatePort = await freePort();
    const cut = startCli(['serve', '--port', '0', '--topic', topic], {
      name: 'serve (cut off)',
      env: {
        ...tokenEnv(tokens),
        KAFKA_BROKERS: `127.0.0.1:${gatePort}`,
        INGEST_TRANSACTIONAL_ID: `${transactionalId}-2`,
        PRODUCER_GROUP: `${name}-2`,
        PRODUCER_CONTROL_TOPIC: `${name}.control`,
        PROMETHEUS_URL: 'http://127.0.0.1:9',
      },
    });
    let gate: Server | undefined;
    try {
      const cutBase = (await cut.waitFor(/serving on (http:\/\/\S+)/, 60_000))[1] ?? '';
      const events = makeEvents(300, { seed: 8 });
      const body = JSON.stringify(events);
      const first = await post(body, cutBase);
      expect(first.status).toBe(503);
      expect(first.json).toMatchObject({ error: 'KAFKA_UNAVAILABLE', retriable: true });
      // The network comes back: the gate forwards to the broker (which then advertises itself).
      gate = createServer((client) => {
        const upstream = connect(brokerPort, brokerHost);
        client.pipe(upstream).pipe(client);
        const close = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', close);
        upstream.on('error', close);
      });
      await new Promise<void>((r) => gate?.listen(gatePort, '127.0.0.1', () => r()));
      let answer = first;
      for (let attempt = 0; answer.status !== 202 && attempt < 60; attempt++) {
        await new Promise((r) => setTimeout(r, 500));
        answer = await post(body, cutBase);
        // Until it is through, every answer says nothing was written.
        if (answer.status !== 202) expect(answer.status).toBe(503);
      }
      expect(answer).toMatchObject({ status: 202, json: { accepted: 300 } });
      // Nothing of the refused attempts is visible: Kafka holds the request once.
      expect((await readTopic(kafka, topic)).length).toBe(800 + 300);
      sent.push(...events);
      await expectStoredOnce();
    } finally {
      await cut.stop();
      await new Promise((r) => gate?.close(r) ?? r(undefined));
    }
  });
});
