/**
 * Why kafkajs found no group coordinator. Its FindCoordinator lookup swallows the broker's answer
 * (kafkajs 2.2.4 brokerPool.withBroker catches every error) and throws a bare
 * KafkaJSGroupCoordinatorNotFound — so a group the principal has no ACL for
 * (GROUP_AUTHORIZATION_FAILED) would read "Failed to find group coordinator". Asking one broker
 * directly, through the client's internal cluster (pinned kafkajs 2.2.x), gives the answer back.
 */
import type { Kafka } from 'kafkajs';
import { kafkaErrorType } from './errors.js';

interface CoordinatorBroker {
  findGroupCoordinator(request: { groupId: string; coordinatorType: number }): Promise<unknown>;
}

interface CoordinatorCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  findControllerBroker(): Promise<CoordinatorBroker>;
}

function internalCluster(kafka: Kafka): CoordinatorCluster | undefined {
  const sym = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const create = sym ? (kafka as unknown as Record<symbol, unknown>)[sym] : undefined;
  if (typeof create !== 'function') return undefined;
  return (create as (o: object) => CoordinatorCluster)({
    metadataMaxAge: 60_000,
    allowAutoTopicCreation: false,
  });
}

/** FindCoordinator's key types: a consumer group, or a transactional id (whose lookup hides a refusal the same way). */
export const COORDINATOR_GROUP = 0;
export const COORDINATOR_TRANSACTION = 1;

/** The broker's error for FindCoordinator(`groupId`), or undefined when it answers or cannot be asked. */
export async function coordinatorAnswer(
  kafka: Kafka,
  groupId: string,
  coordinatorType: number = COORDINATOR_GROUP,
): Promise<unknown> {
  const cluster = internalCluster(kafka);
  if (!cluster) return undefined;
  try {
    await cluster.connect();
    await cluster.refreshMetadata(); // the controller's id comes with the metadata
    const broker = await cluster.findControllerBroker();
    await broker.findGroupCoordinator({ groupId, coordinatorType });
    return undefined;
  } catch (err) {
    return kafkaErrorType(err) !== undefined ? err : undefined;
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

/**
 * `err` with the broker's own answer as its cause when it is kafkajs' bare "Failed to find group
 * coordinator" for `groupId` (so kafkaError finds its type: GROUP_AUTHORIZATION_FAILED); any other
 * error unchanged.
 */
export async function withCoordinatorAnswer(kafka: Kafka, groupId: string, err: unknown): Promise<unknown> {
  const e = err as { name?: unknown; message?: unknown; cause?: unknown } | null;
  if (e?.name !== 'KafkaJSGroupCoordinatorNotFound' || e.cause !== undefined) return err;
  const answer = await coordinatorAnswer(kafka, groupId);
  if (answer === undefined) return err;
  const explained = new Error(`${String(e.message)}: the broker answered ${(answer as Error).message}`, {
    cause: answer,
  });
  explained.name = 'KafkaJSGroupCoordinatorNotFound';
  return explained;
}
