/**
 * `secrets rotate` of the ClickHouse passwords under load (stack/secrets-rotate.ts, issue 13), on a
 * `retail-etl clickhouse serve` of this test's own and the shared Kafka: while events stream into
 * a topic, a real `sink clickhouse` logged in as `retail_sink` is restarted by the rotation with
 * its new password. During the restart the old and the new password both log in (the sink's flush
 * on SIGTERM is never refused: it exits 0); afterwards every event is in sales_raw exactly once
 * with exact sums, every user's old password gets 516 (401) and the new one works, the sink's log
 * holds no refused login, and a server restarted from the saved secrets file takes the new ones.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, deleteTopics, makeEvents, totals } from '../../../bench/lib/sale-events.js';
import { formatEnvFile, parseEnvFile } from '../../../lib/env-file.js';
import { migrateClickhouse } from '../../../sinks/clickhouse/migrate-all.js';
import { CLICKHOUSE_RUNTIME_USERS, clickhouseRuntimeUrls } from '../../../stack/components/clickhouse.js';
import { stackPaths } from '../../../stack/paths.js';
import { rotateSecrets } from '../../../stack/secrets-rotate.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import type { SinkChild } from '../../helpers/sink-process.js';
import { spawnSink } from '../../helpers/sink-process.js';
import { ThrowawayClickhouse } from '../../helpers/throwaway-clickhouse.js';
import { waitUntil } from '../../sinks/core/contract.suite.js';
import { chCounts } from '../../sinks/clickhouse/raw/ch-counts.js';
import { produceStream } from '../../sinks/raw/stream.js';

stackEnv(); // Kafka and the registry of the shared stack, for the sink process too

const database = `rotate_${uniqueName('db').replace(/[^a-z0-9]/gi, '_')}`;
const topic = uniqueName('ch-rotate');
const group = uniqueName('grp');
const dir = mkdtempSync(join(tmpdir(), 'ch-rotate-'));
const secretsFile = join(dir, 'secrets.env');
let ch: ThrowawayClickhouse;
let sink: SinkChild | undefined;
const exitCodes: (number | null)[] = [];

const readSecrets = () => parseEnvFile(readFileSync(secretsFile, 'utf8'));
const ownerUrl = (s: Record<string, string>) =>
  `http://default:${encodeURIComponent(s['CLICKHOUSE_PASSWORD'] ?? '')}@127.0.0.1:${ch.port}`;
const runtimeUrl = (s: Record<string, string>, envKey: string) =>
  clickhouseRuntimeUrls({ paths: stackPaths(), secrets: s, progress: () => undefined }, ch.port)[envKey] ??
  '';

/** HTTP status of `SELECT 1` as `user` with `password`. */
async function login(user: string, password: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${ch.port}/?query=SELECT%201`, {
    headers: { 'X-ClickHouse-User': user, 'X-ClickHouse-Key': password },
  });
  await res.arrayBuffer();
  return res.status;
}

function startSink(secrets: Record<string, string>): SinkChild {
  sink = spawnSink(['clickhouse'], {
    CLICKHOUSE_URL: runtimeUrl(secrets, 'CLICKHOUSE_SINK_URL'),
    SINK_CLICKHOUSE_CHDB_PATH: '',
    SINK_CLICKHOUSE_DATABASE: database,
    SINK_CLICKHOUSE_TOPIC: topic,
    SINK_CLICKHOUSE_GROUP_ID: group,
    SINK_CLICKHOUSE_METRICS_PORT: '0',
    SINK_CLICKHOUSE_MAX_WAIT_MS: '200',
    // As in the stack: the owner migrated; the sink's user could not.
    SINK_CLICKHOUSE_CREATE_TABLE: 'false',
    SINK_CLICKHOUSE_RETENTION_MODE: 'off',
  });
  return sink;
}

async function stored(): Promise<ReturnType<typeof chCounts>> {
  const client: ClickHouseClient = createClient({ url: ownerUrl(readSecrets()) });
  try {
    return await chCounts(client, database);
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  ch = await ThrowawayClickhouse.create();
  await ch.start();
  const owner = createClient({ url: ch.url });
  await migrateClickhouse(owner, {}, database);
  await owner.close();
  writeFileSync(secretsFile, formatEnvFile(ch.secrets), { mode: 0o600 });
  await createTopic(topic, 3);
  await startSink(readSecrets()).waitForLog(/sink running/);
}, 120_000);

afterAll(async () => {
  await sink?.stop(10_000).catch(() => undefined);
  await ch?.remove();
  await deleteTopics([topic]);
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets rotate: ClickHouse passwords under load', () => {
  it('restarts the sink with its new password while events flow: every event once, old passwords refused', async () => {
    const old = readSecrets();
    const events = makeEvents(12_000, { stores: 12 });
    const expected = totals(events);
    const stream = produceStream(topic, events, { chunk: 400, intervalMs: 300 });
    await waitUntil(async () => (await stored()).count > 0, 60_000, 'first rows before the rotation');

    const overlap: Record<string, number[]> = {};
    let sentAtRestart: number | undefined;
    const report = await rotateSecrets({
      secretsFile,
      adminUrl: () => 'postgres://unused',
      clickhouseOwnerUrl: ownerUrl,
      what: ['clickhouse'],
      graceMs: 0,
      log: () => undefined,
      target: {
        running: () => ['sink-clickhouse'],
        restart: async (service, secrets) => {
          sentAtRestart = stream.sent; // a rotation may outlast the stream: what matters is that it began mid-stream
          // While the process restarts, its user logs in with the old and with the new password.
          overlap[service] = [
            await login('retail_sink', old['CLICKHOUSE_SINK_PASSWORD'] ?? ''),
            await login('retail_sink', secrets['CLICKHOUSE_SINK_PASSWORD'] ?? ''),
          ];
          exitCodes.push((await sink?.stop(30_000)) ?? null);
          await startSink(secrets).waitForLog(/sink running/);
        },
        publish: () => undefined,
      },
    });
    expect(sentAtRestart).toBeLessThan(events.length); // the sink was restarted while events flowed
    expect(report.clickhouseUsers).toEqual(['retail_sink', 'retail_agg_sink', 'retail_reader', 'default']);
    expect(report.restarted).toEqual(['sink-clickhouse']);
    expect(overlap['sink-clickhouse']).toEqual([200, 200]);
    expect(exitCodes).toEqual([0]); // stopped cleanly: its last flush was not refused

    await stream.done;
    const all = await waitUntil(async () => (await stored()).count >= expected.count, 120_000, 'every event')
      .then(() => true)
      .catch(() => false);
    expect(all, `${JSON.stringify(await stored())} of ${expected.count}\n${sink?.tail(30) ?? ''}`).toBe(true);
    await new Promise((r) => setTimeout(r, 1500)); // a doubled batch would show up by now
    expect(await stored()).toEqual({ ...expected, distinct: expected.count });

    // Every password changed and was saved (mode 600); old ones get 516 / 401, new ones log in.
    const now = readSecrets();
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
    const users = [
      ...CLICKHOUSE_RUNTIME_USERS.map((u) => ({ user: u.user, key: u.secret })),
      { user: 'default', key: 'CLICKHOUSE_PASSWORD' },
    ];
    for (const { user, key } of users) {
      expect(now[key], key).not.toBe(old[key]);
      expect(await login(user, old[key] ?? ''), `${user} old`).toBe(401);
      expect(await login(user, now[key] ?? ''), `${user} new`).toBe(200);
    }
    expect(sink?.tail(400)).not.toMatch(/AUTHENTICATION_FAILED|Code: 516/);

    // The server keeps users in memory: restarted from the saved file, it has the new passwords.
    await sink?.stop(30_000);
    sink = undefined;
    await ch.stop();
    ch.useSecrets(now);
    await ch.start();
    for (const { user, key } of users) {
      expect(await login(user, old[key] ?? ''), `${user} old after restart`).toBe(401);
      expect(await login(user, now[key] ?? ''), `${user} new after restart`).toBe(200);
    }
  });
});
