/**
 * `secrets rotate` for Kafka SCRAM (stack/kafka-scram.ts) under load, on the secured broker the
 * kafka-secure integration test already runs (called from there: one broker start for the file).
 * While events stream into the raw topic — 200 every 250 ms from a producer logged in as
 * `producer` — and a real `sink postgres` reads them as `sink-postgres`, every principal gets a new
 * password from the broker's own tool, one at a time, the admin last; the producer reconnects and
 * the sink is restarted (SIGTERM) right after their principal's turn. Afterwards every event is in
 * sales_raw once with exact sums, the sink exited 0 and logged no refused login, every old
 * password is refused by the broker and every new one accepted, and no password was logged.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { makeEvents, totals } from '../../bench/lib/sale-events.js';
import type { Totals } from '../../bench/lib/sale-events.js';
import { createRegistry, SaleEventSerde } from '../../lib/contracts/event/serde.js';
import { TOPICS } from '../../lib/contracts/topics.js';
import type { Producer } from '../../lib/kafka/index.js';
import { createKafka, kafkaError, kafkaSecurityFromEnv } from '../../lib/kafka/index.js';
import { waitReady } from '../../stack/cli-process.js';
import type { StackContext } from '../../stack/component.js';
import { rotateScramPasswords } from '../../stack/kafka-scram.js';
import { stackPaths } from '../../stack/paths.js';
import type { SinkChild } from '../helpers/sink-process.js';
import type { ThrowawayKafka } from '../helpers/throwaway-kafka.js';
import { waitUntil } from '../sinks/core/contract.suite.js';
import { pgCounts } from '../sinks/postgres/raw/pg-counts.js';
import { metricsPort } from '../sinks/raw/stream.js';

export interface ScramRotationUnderLoad {
  broker: ThrowawayKafka;
  /** The owner's URL of the database the sink writes. */
  databaseUrl: string;
  /** The sink's schema (it may already hold rows: the rotation's events are counted on top). */
  schema: string;
  /**
   * Starts a `sink postgres` as `sink-postgres` into `databaseUrl`'s `schema`, metrics on port 0,
   * kept by the caller for its clean-up (the caller's own helper: one place spells that env).
   */
  startSink: () => SinkChild;
}

const CHUNK = 200;
const INTERVAL_MS = 250;

/** The environment of `principal` with `password` instead of its password file. */
function withPassword(broker: ThrowawayKafka, principal: string, password: string): Record<string, string> {
  const vars = { ...broker.saslEnv(principal) };
  delete vars['KAFKA_SASL_PASSWORD_FILE'];
  return { ...vars, KAFKA_SASL_PASSWORD: password };
}

/** Whether the broker lets `vars`' principal log in: undefined, or the mapped error. */
async function login(broker: ThrowawayKafka, vars: Record<string, string>) {
  const admin = createKafka('scram-login', {
    brokers: [broker.brokers],
    ...kafkaSecurityFromEnv(vars),
    retry: { retries: 0 },
  }).admin();
  const err = await admin.connect().then(
    () => undefined,
    (e: unknown) => kafkaError('connect', e),
  );
  await admin.disconnect().catch(() => undefined);
  return err;
}

/**
 * Known events to the raw topic as `producer`, `CHUNK` every `INTERVAL_MS`, until `finish()`; then
 * a few more chunks. `reconnect()` is the producer process's restart: between two sends, a new
 * client reads the password file again.
 */
function producerStream(broker: ThrowawayKafka) {
  const serde = new SaleEventSerde(createRegistry());
  const connect = async (): Promise<Producer> => {
    const p = createKafka('scram-rotate-producer', {
      brokers: [broker.brokers],
      ...kafkaSecurityFromEnv(broker.saslEnv('producer')),
    }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    return p;
  };
  let producer: Promise<Producer> = connect();
  // Sends and reconnects one after the other: a reconnect never cuts a send.
  let queue: Promise<unknown> = producer;
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const state = { sent: [] as Totals[], reconnects: 0, finishing: false };
  const done = (async () => {
    await serde.register();
    let after = 0;
    for (let i = 0; after < 4; i++) {
      const started = Date.now();
      const events = makeEvents(CHUNK, { stores: 12, seed: i });
      await serial(async () =>
        (await producer).send({
          topic: TOPICS.sales,
          acks: -1,
          messages: events.map((e) => ({ key: e.store_id, value: serde.encode(e) })),
        }),
      );
      state.sent.push(totals(events));
      if (state.finishing) after += 1;
      await sleep(Math.max(0, INTERVAL_MS - (Date.now() - started)));
    }
    await serial(async () => (await producer).disconnect());
  })();
  done.catch(() => undefined);
  const sum = (): Totals =>
    state.sent.reduce(
      (a, t) => ({ count: a.count + t.count, quantity: a.quantity + t.quantity, value: a.value + t.value }),
      {
        count: 0,
        quantity: 0,
        value: 0,
      },
    );
  return {
    state,
    sum,
    done,
    finish: () => (state.finishing = true),
    reconnect: () =>
      serial(async () => {
        await (await producer).disconnect();
        producer = connect();
        await producer;
        state.reconnects += 1;
      }),
  };
}

export async function scramRotationUnderLoad(o: ScramRotationUnderLoad): Promise<void> {
  const { broker } = o;
  const files = broker.secure;
  const principals = Object.keys(files.passwordFiles);
  const read = (p: string) => readFileSync(files.passwordFiles[p] ?? '', 'utf8').trim();
  const old = Object.fromEntries(principals.map((p) => [p, read(p)]));

  const sinkExits: (number | null)[] = [];
  const startSink = async (): Promise<SinkChild> => {
    const sink = o.startSink();
    await waitReady(await metricsPort(sink), sink);
    return sink;
  };
  let sink = await startSink();
  const sinks = [sink];
  const counts = () => pgCounts(o.databaseUrl, o.schema);
  const before = await counts();

  const stream = producerStream(broker);
  await waitUntil(async () => (await counts()).count > before.count, 60_000, 'rows before the rotation');

  const logged: string[] = [];
  const ctx: StackContext = { paths: stackPaths(), secrets: {}, progress: () => undefined };
  const started = Date.now();
  const rotated = await rotateScramPasswords({
    ctx,
    files,
    bootstrap: broker.brokers,
    log: (m) => logged.push(m),
    restart: async (principal) => {
      if (principal === 'producer') await stream.reconnect();
      if (principal === 'sink-postgres') {
        sinkExits.push(await sink.stop(30_000));
        sink = await startSink();
        sinks.push(sink);
      }
    },
  });
  process.stderr.write(
    `[kafka-secure] ${rotated.length} SCRAM passwords rotated in ${Date.now() - started} ms\n`,
  );
  const sentDuring = stream.sum().count;
  stream.finish();
  await stream.done;
  // Events flowed before, during and after the rotation.
  expect(sentDuring).toBeGreaterThan(0);
  expect(stream.sum().count).toBeGreaterThan(sentDuring);
  expect(rotated).toEqual([...principals.filter((p) => p !== 'admin'), 'admin']);
  expect(stream.state.reconnects).toBe(1);

  const sent = stream.sum();
  const expected = {
    count: before.count + sent.count,
    distinct: before.distinct + sent.count,
    quantity: before.quantity + sent.quantity,
    value: before.value + sent.value,
  };
  await waitUntil(async () => (await counts()).count >= expected.count, 90_000, 'every event').catch(
    async (err: Error) => {
      throw new Error(
        `${err.message}: ${JSON.stringify(await counts())} of ${expected.count}\n${sink.tail(30)}`,
      );
    },
  );
  await sleep(1500); // a doubled batch would show up by now
  expect(await counts()).toEqual(expected);
  // The sink stopped cleanly (SIGTERM: flushed and committed) and never had its login refused.
  expect(sinkExits).toEqual([0]);
  for (const s of sinks)
    expect(s.output()).not.toMatch(/[Aa]uthentication failed|SASLAuthentication|AUTHORIZATION_FAILED/);

  // Every password changed; the broker refuses each old one and accepts each new one.
  for (const p of principals) {
    const now = read(p);
    expect(now, p).not.toBe(old[p]);
    const refused = await login(broker, withPassword(broker, p, old[p] ?? ''));
    expect(refused?.hint, `${p} with its old password`).toContain('refused the SASL credentials');
    expect(refused?.retriable).toBe(false);
    expect(await login(broker, broker.saslEnv(p)), `${p} with its new password`).toBeUndefined();
    // Neither password reached a log line of the rotation or of a sink.
    const logs = logged.join('\n') + sinks.map((s) => s.output()).join('\n');
    expect(logs).not.toContain(old[p]);
    expect(logs).not.toContain(now);
  }
}
