/**
 * What a sink process stops on, as the CLI prints it: a consumer the broker refuses (an ACL
 * denial on a secured broker) leaves as KAFKA_ERROR with the broker's error type, final; errors
 * that are already ours, or not Kafka's, pass unchanged. kafkajs-shaped errors, no broker.
 */
import { describe, expect, it } from 'vitest';
import { EtlError } from '../../../lib/errors.js';
import { createLogger } from '../../../lib/logger.js';
import { runUntilStopped, sinkFatalError } from '../../../sinks/core/process.js';

/** What kafkajs' consumer crashes with when the broker denies the group (kafkajs/src/errors.js). */
function denied(type: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type, retriable: false });
}

describe('sinkFatalError', () => {
  it('a denied group becomes KAFKA_ERROR with the broker’s type, not retriable, with the ACL hint', () => {
    const err = sinkFatalError(
      'sink postgres stopped consuming retail.sales.v1 as group g',
      denied('GROUP_AUTHORIZATION_FAILED', 'Not authorized to access group: Group authorization failed'),
    );
    expect(err).toBeInstanceOf(EtlError);
    const e = err as EtlError;
    expect(e).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'GROUP_AUTHORIZATION_FAILED',
      retriable: false,
    });
    expect(e.toLine()).toMatch(
      /^KAFKA_ERROR: sink postgres stopped consuming retail\.sales\.v1 as group g: Not authorized to access group.*\[server: GROUP_AUTHORIZATION_FAILED\] — .*docs\/security\.md#kafka$/,
    );
  });

  it('a denied topic inside exhausted retries keeps the inner type', () => {
    const outer = Object.assign(new Error('Not authorized to access topics'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      retriable: false,
      cause: denied(
        'TOPIC_AUTHORIZATION_FAILED',
        'Not authorized to access topics: [Topic authorization failed]',
      ),
    });
    expect(sinkFatalError('x', outer)).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
  });

  it('leaves an EtlError (a Postgres refusal) and a non-Kafka error as they are', () => {
    const pg = new EtlError('POSTGRES_ERROR', 'insert failed', { serverCode: '42501' });
    expect(sinkFatalError('x', pg)).toBe(pg);
    const bug = new TypeError('undefined is not a function');
    expect(sinkFatalError('x', bug)).toBe(bug);
  });
});

describe('runUntilStopped', () => {
  it('rethrows a Kafka fatal error as KAFKA_ERROR after stopping the process', async () => {
    const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    let stopped = false;
    const failed = Promise.reject(denied('GROUP_AUTHORIZATION_FAILED', 'Group authorization failed'));
    const logger = createLogger('test', { level: 'error', write: () => undefined });
    const err = await runUntilStopped(
      {
        failed: failed as Promise<never>,
        stop: () => {
          stopped = true;
          return Promise.resolve();
        },
      },
      logger,
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Only the handlers runUntilStopped added: the test runner's own stay.
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      for (const l of process.listeners(signal)) if (!before[signal].includes(l)) process.off(signal, l);
    expect(stopped).toBe(true);
    expect(err).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'GROUP_AUTHORIZATION_FAILED',
      retriable: false,
    });
  });
});
