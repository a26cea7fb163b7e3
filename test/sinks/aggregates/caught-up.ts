/** Wait until an aggregate sink stored, for every partition of the three aggregate topics, its high watermark. */
import type pg from 'pg';
import type { Fixture } from '../../processors/helpers/fixture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitAggSinkCaughtUp(
  f: Fixture,
  db: pg.Client,
  schema: string,
  group: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const want = new Map<string, number>();
    for (const t of [f.topics.hourly, f.topics.topSkus, f.topics.rolling])
      for (const o of await f.admin.fetchTopicOffsets(t))
        if (Number(o.high) > 0) want.set(`${t}#${o.partition}`, Number(o.high));
    const got = await db
      .query<{ topic: string; partition: number; next_offset: string }>(
        `SELECT topic, partition, next_offset FROM "${schema}".agg_sink_offsets WHERE group_id = $1`,
        [group],
      )
      .then((r) => new Map(r.rows.map((x) => [`${x.topic}#${x.partition}`, Number(x.next_offset)])))
      .catch(() => new Map<string, number>());
    if ([...want].every(([k, h]) => got.get(k) === h)) return;
    if (Date.now() > deadline)
      throw new Error(
        `sink not caught up: want ${JSON.stringify([...want])} got ${JSON.stringify([...got])}`,
      );
    await sleep(300);
  }
}
