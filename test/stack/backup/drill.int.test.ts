/**
 * The restore drill (issue 14, docs/runbook.md#the-restore-drill): the real producer writes to a
 * topic of this test's own while a real Postgres sink stores it; `retail-etl backup create` runs in
 * the middle of it; the sink finishes and stops; the data is dropped; `retail-etl backup restore`
 * brings it back into a NEW database; the sink restarts pointed at that database and resumes from
 * the offsets stored in it. Count, distinct ids and sums then equal an independent read of the
 * topic: nothing lost, nothing doubled. A tampered manifest makes the restore fail with
 * BACKUP_VERIFY_FAILED, and the live database is refused without --force.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic } from '../../../bench/lib/sale-events.js';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import { createKafka } from '../../../lib/kafka/index.js';
import { readManifestText } from '../../../stack/backup/archive.js';
import type { Manifest } from '../../../stack/backup/manifest.js';
import { parseManifest } from '../../../stack/backup/manifest.js';
import { withDatabase } from '../../../stack/backup/pg-tools.js';
import type { CliProcess } from '../../../stack/cli-process.js';
import { startCli } from '../../../stack/cli-process.js';
import { stackEnv, uniqueName } from '../../helpers/env.js';
import type { Landed } from '../../helpers/kafka.js';
import { readTopic } from '../../helpers/kafka.js';
import { spawnSink } from '../../helpers/sink-process.js';
import { dropTopicsAndSchema } from '../../sinks/postgres/raw/process-setup.js';
import { pgCounts } from '../../sinks/postgres/raw/pg-counts.js';
import { waitUntil } from '../../sinks/core/contract.suite.js';

const env = stackEnv();
const EVENTS = 30_000;

/**
 * What the topic holds, read independently of any sink: one row per distinct event id (a re-send
 * is stored once, first write wins); `below` keeps only the records under a partition's offset.
 */
async function topicCounts(records: Landed[], below?: Map<number, number>) {
  const serde = new SaleEventSerde(createRegistry());
  const seen = new Set<string>();
  let quantity = 0;
  let value = 0;
  for (const r of records) {
    if (below && r.offset >= (below.get(r.partition) ?? 0)) continue;
    const e = await serde.decode(r.value);
    if (seen.has(e.event_id)) continue;
    seen.add(e.event_id);
    quantity += e.quantity;
    value += e.quantity * e.unit_price_cents;
  }
  return { count: seen.size, distinct: seen.size, quantity, value };
}

async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: env.DATABASE_ADMIN_URL });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}

describe('backup and restore drill', () => {
  const topic = uniqueName('drill');
  const schema = uniqueName('drillpg');
  const group = uniqueName('grp');
  const restored = uniqueName('drilldb');
  const tampered = uniqueName('drillbad');
  const dir = mkdtempSync(join(tmpdir(), 'drill-'));
  const archive = join(dir, 'drill.tar');
  const running: CliProcess[] = [];
  afterAll(async () => {
    for (const p of running) await p.stop(5000).catch(() => undefined);
    await dropTopicsAndSchema(env.DATABASE_URL, [topic], schema);
    await dropDatabase(restored);
    await dropDatabase(tampered);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backup while writing, drop, restore into a new database, resume: equal to the topic, nothing lost or doubled', async () => {
    await createTopic(topic, 3);
    const sinkEnv = {
      SINK_POSTGRES_SCHEMA: schema,
      SINK_POSTGRES_TOPIC: topic,
      SINK_POSTGRES_GROUP_ID: group,
      SINK_POSTGRES_METRICS_PORT: '0',
      SINK_POSTGRES_MAX_BATCH_ROWS: '2000',
      SINK_POSTGRES_MAX_WAIT_MS: '100',
    };
    const producer = startCli(['producer', 'run'], {
      env: {
        PRODUCER_TOPIC: topic,
        PRODUCER_COUNT: String(EVENTS),
        PRODUCER_RATE: '1500',
        PRODUCER_CONTROL: 'false',
        PRODUCER_METRICS_PORT: '0',
      },
    });
    running.push(producer);
    const sink = spawnSink(['postgres'], { ...sinkEnv, DATABASE_URL: env.DATABASE_URL });
    running.push(sink);
    const live = () => pgCounts(env.DATABASE_URL, schema);
    await waitUntil(
      async () => (await live().catch(() => ({ count: 0 }))).count >= 3000,
      60_000,
      'rows before the backup',
    );

    // 1. The backup, while the producer and the sink are still writing.
    const backup = startCli(['backup', 'create', '-o', archive, '--schema', schema, '--topic', topic]);
    expect(await backup.exit(60_000), backup.tail()).toBe(0);
    const password = new URL(env.DATABASE_URL).password;
    expect(backup.output()).not.toContain(password);
    const manifest: Manifest = parseManifest(await readManifestText(archive));
    const raw = manifest.tables.find((t) => t.schema === schema && t.table === 'sales_raw');
    expect(raw).toBeDefined();
    const backedUp = Number(raw?.rows);
    expect(backedUp).toBeGreaterThan(0);
    const offsets = new Map(
      manifest.offsets
        .filter((o) => o.schema === schema && o.groupId === group && o.topic === topic)
        .map((o) => [o.partition, Number(o.nextOffset)]),
    );
    expect(offsets.size).toBeGreaterThan(0);
    expect(manifest.files.map((f) => f.path).sort()).toEqual([
      'database.dump',
      'kafka/topics.json',
      'registry/schemas.json',
    ]);

    // 2. The pipeline finishes; the live data is then lost.
    expect(await producer.exit(120_000), producer.tail()).toBe(0);
    const records = await readTopic(createKafka('drill-read'), topic);
    const fromTopic = await topicCounts(records);
    // Taken mid-stream: the backup holds part of the events.
    expect(backedUp).toBeLessThan(fromTopic.count);
    // One snapshot: the rows backed up are exactly the events below the offsets stored with them.
    expect(await topicCounts(records, offsets)).toEqual({
      count: backedUp,
      distinct: Number(raw?.distinct['event_id']),
      quantity: Number(raw?.sums['quantity']),
      value: Number(raw?.sums['revenue_cents']),
    });
    await waitUntil(
      async () => (await live()).count >= fromTopic.count,
      90_000,
      'the sink drained the topic',
    );
    expect(await sink.stop(15_000)).toBe(0);
    expect(await live()).toEqual(fromTopic);
    await dropTopicsAndSchema(env.DATABASE_URL, [], schema);

    // 3. The live database is refused; the default is a new one, named here.
    const refused = startCli([
      'backup',
      'restore',
      archive,
      '--database',
      new URL(env.DATABASE_URL).pathname.slice(1),
    ]);
    expect(await refused.exit(30_000)).toBe(1);
    expect(refused.output()).toMatch(/RESTORE_TARGET_EXISTS: database \w+ is the live database/);
    const restore = startCli(['backup', 'restore', archive, '--database', restored]);
    expect(await restore.exit(120_000), restore.tail()).toBe(0);
    expect(restore.output()).toMatch(/verified against the manifest/);
    const restoredUrl = withDatabase(env.DATABASE_URL, restored);
    const atBackup = await pgCounts(restoredUrl, schema);
    expect(atBackup.count).toBe(backedUp);
    expect(String(atBackup.quantity)).toBe(raw?.sums['quantity']);
    expect(String(atBackup.value)).toBe(raw?.sums['revenue_cents']);

    // 4. The sink restarts on the restored database: it resumes from the offsets stored there.
    const resumed = spawnSink(['postgres'], { ...sinkEnv, DATABASE_URL: restoredUrl });
    running.push(resumed);
    await waitUntil(
      async () => (await pgCounts(restoredUrl, schema)).count >= fromTopic.count,
      90_000,
      'the restored database caught up',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${resumed.tail(20)}`);
    });
    expect(await resumed.stop(15_000)).toBe(0);
    expect(await pgCounts(restoredUrl, schema)).toEqual(fromTopic);

    // 5. --force over an existing database replaces what the archive holds: back to the backup.
    const again = startCli(['backup', 'restore', archive, '--database', restored]);
    expect(await again.exit(30_000)).toBe(1);
    expect(again.output()).toMatch(/RESTORE_TARGET_EXISTS: database \w+ already exists/);
    const forced = startCli(['backup', 'restore', archive, '--database', restored, '--force']);
    expect(await forced.exit(120_000), forced.tail()).toBe(0);
    expect((await pgCounts(restoredUrl, schema)).count).toBe(backedUp);
  });

  it('a restore that does not match its manifest fails with BACKUP_VERIFY_FAILED and exit 1', async () => {
    // Rewrite the manifest's row count of sales_raw (the files' checksums stay right).
    const work = mkdtempSync(join(dir, 'tamper-'));
    spawnSync('tar', ['-xf', archive, '-C', work], { stdio: 'ignore' });
    const m = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as Manifest;
    const raw = m.tables.find((t) => t.table === 'sales_raw');
    if (!raw) throw new Error('no sales_raw in the manifest');
    raw.rows = String(Number(raw.rows) + 1);
    writeFileSync(join(work, 'manifest.json'), JSON.stringify(m));
    const bad = join(dir, 'tampered.tar');
    const packed = spawnSync('tar', [
      '-cf',
      bad,
      '-C',
      work,
      'manifest.json',
      'database.dump',
      'registry',
      'kafka',
    ]);
    expect(packed.status).toBe(0);
    const restore = startCli(['backup', 'restore', bad, '--database', tampered]);
    expect(await restore.exit(120_000)).toBe(1);
    expect(restore.output()).toMatch(
      new RegExp(`BACKUP_VERIFY_FAILED: .*${schema}\\.sales_raw: \\d+ rows, manifest \\d+`),
    );
  });
});
