/** The ACLs of a secured broker: each principal gets what its process needs and nothing of another's. */
import { describe, expect, it } from 'vitest';
import { TOPICS } from '../../lib/contracts/topics.js';
import { aclEntries } from '../../lib/kafka/acls.js';
import type { AclGrant } from '../../lib/kafka/acls.js';
import { KAFKA_PRINCIPALS, principalGrants } from '../../stack/kafka-principals.js';

/** Whether `principal` may do `op` on a topic/group/transactional id named `name`. */
function may(principal: string, resource: AclGrant['resource'], name: string, op: string): boolean {
  return principalGrants().some(
    (g) =>
      g.principal === principal &&
      g.resource === resource &&
      (g.prefixed ? name.startsWith(g.name) : name === g.name) &&
      (g.operations as readonly string[]).includes(op),
  );
}

describe('Kafka principals and their ACLs', () => {
  it('the producer writes the raw topic (and its control topic) and nothing else', () => {
    expect(may('producer', 'topic', TOPICS.sales, 'write')).toBe(true);
    expect(may('producer', 'topic', TOPICS.control, 'write')).toBe(true);
    for (const t of [TOPICS.dlq, TOPICS.late, TOPICS.salesHourly, TOPICS.topSkus, TOPICS.storeRolling])
      expect(may('producer', 'topic', t, 'write'), t).toBe(false);
    expect(may('producer', 'topic', TOPICS.sales, 'read')).toBe(false);
  });

  it('serve (ingest) writes the raw topic and, for its control panel, follows and writes the control topic; nothing else', () => {
    expect(may('ingest', 'topic', TOPICS.sales, 'write')).toBe(true);
    expect(may('ingest', 'transactional-id', 'retail-ingest-host-8080', 'write')).toBe(true);
    // The panel's ControlFollower: the control topic with a group of its own (producer/control.ts).
    expect(may('ingest', 'topic', TOPICS.control, 'read')).toBe(true);
    expect(may('ingest', 'topic', TOPICS.control, 'write')).toBe(true);
    expect(may('ingest', 'group', `retail-producer-control-${'0'.repeat(8)}`, 'read')).toBe(true);
    expect(may('ingest', 'topic', TOPICS.sales, 'read')).toBe(false);
    for (const t of [TOPICS.dlq, TOPICS.late, TOPICS.salesHourly])
      expect(may('ingest', 'topic', t, 'write'), t).toBe(false);
  });

  it('each sink reads its topics with its own group only', () => {
    expect(may('sink-postgres', 'topic', TOPICS.sales, 'read')).toBe(true);
    expect(may('sink-postgres', 'topic', TOPICS.sales, 'write')).toBe(false);
    expect(may('sink-postgres', 'group', 'retail-sink-postgres', 'read')).toBe(true);
    expect(may('sink-postgres', 'group', 'retail-sink-clickhouse', 'read')).toBe(false);
    expect(may('sink-aggregates', 'topic', TOPICS.salesHourly, 'read')).toBe(true);
    expect(may('sink-aggregates', 'topic', TOPICS.sales, 'read')).toBe(false);
  });

  it('the processors own their transactional ids, changelogs and derived topics; nobody else does', () => {
    const changelog = 'retail-etl-processor-topology-all-changelog';
    expect(may('processors', 'topic', changelog, 'write')).toBe(true);
    expect(may('processors', 'transactional-id', 'retail-etl-processor-topology-all-3', 'write')).toBe(true);
    expect(may('processors', 'topic', TOPICS.salesHourly, 'write')).toBe(true);
    for (const p of KAFKA_PRINCIPALS.filter((x) => x !== 'processors')) {
      expect(may(p, 'topic', changelog, 'read'), p).toBe(false);
      expect(may(p, 'topic', TOPICS.salesHourly, 'write'), p).toBe(false);
    }
  });

  it('become one kafkajs ALLOW entry per operation, prefixed where asked', () => {
    const entries = aclEntries([
      {
        principal: 'processors',
        resource: 'transactional-id',
        name: 'p-',
        prefixed: true,
        operations: ['write', 'describe'],
      },
    ]);
    expect(entries).toEqual([
      expect.objectContaining({
        principal: 'User:processors',
        resourceName: 'p-',
        resourcePatternType: 4,
        operation: 4,
        permissionType: 3,
      }),
      expect.objectContaining({ operation: 8 }),
    ]);
  });
});
