/** count, distinct event ids and exact sums of a sales_raw in ClickHouse. */
import type { ClickHouseClient } from '@clickhouse/client';

export async function chCounts(client: ClickHouseClient, db: string) {
  const rs = await client.query({
    query: `SELECT count() n, uniqExact(event_id) d, sum(quantity) q, sum(toInt64(quantity) * unit_price_cents) v FROM \`${db}\`.sales_raw`,
    format: 'JSONEachRow',
  });
  const row = (await rs.json<{ n: string; d: string; q: string; v: string }>())[0];
  return {
    count: Number(row?.n),
    distinct: Number(row?.d),
    quantity: Number(row?.q ?? 0),
    value: Number(row?.v ?? 0),
  };
}
