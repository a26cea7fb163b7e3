/**
 * Setup shared by the tests that run the Postgres raw sink against the shared stack (poison, copy
 * format, crash, rebalance): the same sink options for a DLQ-backed sink process, and the same
 * cleanup of a test's topics and schema. One place, so the tests cannot drift in how they start
 * and tidy up.
 */
import pg from 'pg';
import { deleteTopics } from '../../../../bench/lib/sale-events.js';
import { uniqueName } from '../../../helpers/env.js';

/** startSinkProcess('postgres', …) options: a fresh group, any metrics port, a 100 ms flush timer. */
export function dlqSinkOptions(schema: string, topic: string, dlqTopic: string) {
  return { schema, topic, dlqTopic, groupId: uniqueName('grp'), metricsPort: 0, maxWaitMs: 100 };
}

/** afterAll: delete the test's topics, then drop its schema over a connection of its own. */
export async function dropTopicsAndSchema(url: string, topics: string[], schema: string): Promise<void> {
  await deleteTopics(topics);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}
