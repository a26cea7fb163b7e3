/**
 * Setup shared by the tests that run the Postgres raw sink against the shared stack (poison,
 * crash, rebalance): the same cleanup of a test's topics and schema. One place, so the tests
 * cannot drift in how they tidy up.
 */
import pg from 'pg';
import { deleteTopics } from '../../../../bench/lib/sale-events.js';

/** afterAll: delete the test's topics, then drop its schema over a connection of its own. */
export async function dropTopicsAndSchema(url: string, topics: string[], schema: string): Promise<void> {
  await deleteTopics(topics);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
}
