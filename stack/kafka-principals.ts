/**
 * Who may do what on a secured broker: one Kafka principal per kind of process, each with the
 * least it needs under the default names (topics from lib/contracts/topics.ts, the groups and
 * transactional ids the processes derive). The producer writes the raw topic (and its control
 * topic), `retail-etl serve` (principal `ingest`) writes the raw topic and follows and writes the
 * control topic for its control panel, each sink reads its topics with its own group, the processors own their changelogs,
 * derived topics and transactional ids. A process run with other names needs grants to match.
 */
import { TOPICS } from '../lib/contracts/topics.js';
import type { AclGrant, AclOperation } from '../lib/kafka/acls.js';

export const KAFKA_PRINCIPALS = [
  'producer',
  'ingest',
  'sink-postgres',
  'sink-clickhouse',
  'sink-aggregates',
  'processors',
  'control',
  'dlq',
  'connect',
] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];

/** The SCRAM user allowed everything: creates topics and ACLs, never used by a pipeline process. */
export const KAFKA_ADMIN_PRINCIPAL = 'admin';

const PRODUCE: readonly AclOperation[] = ['write', 'describe', 'create'];
const CONSUME: readonly AclOperation[] = ['read', 'describe'];
const OWN: readonly AclOperation[] = ['read', 'write', 'describe', 'create'];
const GROUP: readonly AclOperation[] = ['read', 'describe', 'delete'];
const AGGREGATES = [TOPICS.salesHourly, TOPICS.topSkus, TOPICS.storeRolling, TOPICS.salesAnomalies];
const PROCESSOR_PREFIX = 'retail-etl-processor-topology-';

function topics(
  principal: string,
  names: readonly string[],
  operations: readonly AclOperation[],
): AclGrant[] {
  return names.map((name) => ({ principal, resource: 'topic', name, operations }));
}

function prefixed(
  principal: string,
  resource: AclGrant['resource'],
  name: string,
  operations: readonly AclOperation[],
): AclGrant {
  return { principal, resource, name, prefixed: true, operations };
}

function grantsOf(p: KafkaPrincipal): AclGrant[] {
  switch (p) {
    case 'producer':
      return [
        ...topics(p, [TOPICS.sales], PRODUCE),
        // Its rate and pause arrive on the control topic, where it also reports its replicas.
        ...topics(p, [TOPICS.control], OWN),
        prefixed(p, 'group', 'retail-producer-control-', GROUP),
        prefixed(p, 'group', 'retail-control-reader', GROUP),
      ];
    case 'ingest':
      return [
        ...topics(p, [TOPICS.sales], PRODUCE),
        prefixed(p, 'transactional-id', 'retail-ingest-', ['write', 'describe']),
        // `retail-etl serve` is one process and one login: beside ingest it runs the control
        // panel, which follows the control topic (a group of its own per server, as a producer
        // replica's) and publishes rate and pause records there. Without these, serve is never ready.
        ...topics(p, [TOPICS.control], OWN),
        prefixed(p, 'group', 'retail-producer-control-', GROUP),
      ];
    case 'sink-postgres':
    case 'sink-clickhouse':
      return [
        ...topics(p, [TOPICS.sales], CONSUME),
        ...topics(p, [TOPICS.dlq], PRODUCE),
        { principal: p, resource: 'group', name: `retail-${p}`, operations: GROUP },
      ];
    case 'sink-aggregates':
      return [
        ...topics(p, AGGREGATES, CONSUME),
        ...topics(p, [TOPICS.dlq], PRODUCE),
        prefixed(p, 'group', 'retail-sink-aggregates-', GROUP),
      ];
    case 'processors':
      return [
        ...topics(p, [TOPICS.sales], CONSUME),
        ...topics(p, [...AGGREGATES, TOPICS.late, TOPICS.dlq], PRODUCE),
        // Changelogs and the top-SKU partials: internal topics under the group prefix.
        prefixed(p, 'topic', PROCESSOR_PREFIX, OWN),
        prefixed(p, 'group', PROCESSOR_PREFIX, GROUP),
        prefixed(p, 'transactional-id', PROCESSOR_PREFIX, ['write', 'describe']),
      ];
    case 'control':
      return [...topics(p, [TOPICS.control], OWN), prefixed(p, 'group', 'retail-control-reader', GROUP)];
    case 'dlq':
      return [
        ...topics(p, [TOPICS.dlq], CONSUME),
        // Replay writes the records back to the raw topic.
        ...topics(p, [TOPICS.sales], PRODUCE),
        prefixed(p, 'group', 'retail-etl-dlq-reader', GROUP),
      ];
    case 'connect':
      return [
        ...topics(p, [TOPICS.sales], CONSUME),
        prefixed(p, 'topic', 'retail-etl.connect.', OWN),
        { principal: p, resource: 'group', name: 'retail-etl-connect', operations: GROUP },
        prefixed(p, 'group', 'connect-', GROUP),
      ];
  }
}

/** Every grant of every principal (or of those listed). */
export function principalGrants(principals: readonly KafkaPrincipal[] = KAFKA_PRINCIPALS): AclGrant[] {
  return principals.flatMap(grantsOf);
}
