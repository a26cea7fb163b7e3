/**
 * The independent count the chaos soak reconciles against: every record of the raw topic as a
 * read_committed consumer sees it (what Kafka accepted — an aborted or never-acknowledged send is
 * not in it), copied into a temporary table `chaos_reference(kafka_partition, kafka_offset,
 * event_id, amount_cents)` so the comparison with what the sinks wrote runs inside Postgres. A record
 * that is not a sale event at all (poison, as `make demo` sends) is listed apart, not in the table.
 */
import type pg from 'pg';
import type { Kafka } from '../../../lib/kafka/index.js';
import { readToEnd } from '../../../lib/kafka/index.js';
import { createRegistry, SaleEventSerde } from '../../../lib/contracts/event/serde.js';
import { EtlError } from '../../../lib/errors.js';

const CHUNK = 20_000;

export interface ReferenceResult {
  records: number;
  seconds: number;
  /** Records that are not a sale event (poison: not Avro of the registry), left out of the table. */
  undecodable: { partition: number; offset: number }[];
}

/** Read `topic` from its first to its last offset (read_committed) into the reference table. */
export async function loadReference(
  kafka: Kafka,
  db: pg.Client,
  topic: string,
  schemaRegistryUrl: string | undefined,
): Promise<ReferenceResult> {
  const t0 = performance.now();
  await db.query('DROP TABLE IF EXISTS chaos_reference');
  await db.query(
    `CREATE TEMP TABLE chaos_reference (kafka_partition int NOT NULL, kafka_offset bigint NOT NULL,
       event_id uuid NOT NULL, amount_cents bigint NOT NULL, PRIMARY KEY (kafka_partition, kafka_offset))`,
  );
  const serde = new SaleEventSerde(createRegistry(schemaRegistryUrl));
  const buf = { p: [] as number[], o: [] as string[], id: [] as string[], amt: [] as string[] };
  let records = 0;
  const undecodable: ReferenceResult['undecodable'] = [];
  const flush = async () => {
    if (buf.p.length === 0) return;
    await db.query(
      `INSERT INTO chaos_reference
         SELECT * FROM unnest($1::int[], $2::bigint[], $3::uuid[], $4::bigint[])`,
      [buf.p, buf.o, buf.id, buf.amt],
    );
    buf.p = [];
    buf.o = [];
    buf.id = [];
    buf.amt = [];
  };
  await readToEnd(kafka, {
    topic,
    groupPrefix: 'chaos-reference',
    consumer: { readUncommitted: false },
    timeoutMs: 30 * 60_000,
    onBatch: async (partition, messages) => {
      for (const m of messages) {
        if (m.value === null) continue;
        // Only a record that can never decode is set aside; a registry away still fails the read.
        const e = await serde.decode(m.value).catch((err: unknown) => {
          if (err instanceof EtlError && err.code === 'DECODE_FAILED' && !err.retriable) return undefined;
          throw err;
        });
        if (e === undefined) {
          undecodable.push({ partition, offset: Number(m.offset) });
          continue;
        }
        buf.p.push(partition);
        buf.o.push(m.offset);
        buf.id.push(e.event_id);
        buf.amt.push(String(e.quantity * e.unit_price_cents));
        records++;
      }
      if (buf.p.length >= CHUNK) await flush();
    },
  });
  await flush();
  await db.query(`CREATE INDEX ON chaos_reference (event_id)`);
  await db.query(`ANALYZE chaos_reference`);
  return { records, seconds: (performance.now() - t0) / 1000, undecodable };
}
