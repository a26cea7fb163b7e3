/**
 * kafkajs' bare "Failed to find group coordinator" explained by the broker's own answer, with a
 * stub of the client's internal cluster (the symbol kafkajs 2.2.x keeps its factory under).
 */
import { describe, expect, it } from 'vitest';
import type { Kafka } from '../../../lib/kafka/index.js';
import { kafkaError, withCoordinatorAnswer } from '../../../lib/kafka/index.js';

function kafkaAnswering(answer: Error | undefined): Kafka {
  const cluster = {
    connect: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    refreshMetadata: () => Promise.resolve(),
    findControllerBroker: () =>
      Promise.resolve({
        findGroupCoordinator: () => (answer ? Promise.reject(answer) : Promise.resolve({})),
      }),
  };
  return { [Symbol('private:Kafka:createCluster')]: () => cluster } as unknown as Kafka;
}

const notFound = () =>
  Object.assign(new Error('Failed to find group coordinator'), {
    name: 'KafkaJSGroupCoordinatorNotFound',
    retriable: false,
  });
const denied = Object.assign(new Error('Not authorized to access group: Group authorization failed'), {
  name: 'KafkaJSProtocolError',
  type: 'GROUP_AUTHORIZATION_FAILED',
  retriable: false,
});

describe('withCoordinatorAnswer', () => {
  it('a denied group: the broker’s answer becomes the cause, so kafkaError names GROUP_AUTHORIZATION_FAILED', async () => {
    const err = await withCoordinatorAnswer(kafkaAnswering(denied), 'g', notFound());
    const e = kafkaError('sink stopped', err);
    expect(e).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'GROUP_AUTHORIZATION_FAILED',
      retriable: false,
    });
    expect(e.message).toBe(
      'sink stopped: Failed to find group coordinator: the broker answered Not authorized to access group: Group authorization failed',
    );
    expect(e.hint).toContain('docs/security.md#kafka');
  });

  it('leaves the error as it is when the broker answers, or when it is another error', async () => {
    const bare = notFound();
    expect(await withCoordinatorAnswer(kafkaAnswering(undefined), 'g', bare)).toBe(bare);
    const other = new Error('boom');
    expect(await withCoordinatorAnswer(kafkaAnswering(denied), 'g', other)).toBe(other);
  });
});
