/**
 * kafkajs errors → EtlError. The error objects are shaped like kafkajs' own (name, type,
 * retriable, cause: what the mapping reads) so it is tested without a broker.
 */
import { describe, expect, it } from 'vitest';
import { EtlError } from '../../../lib/errors.js';
import {
  isKafkaClientError,
  isRetriableKafkaError,
  kafkaError,
  kafkaErrorType,
} from '../../../lib/kafka/index.js';

function protocolError(type: string, retriable: boolean): Error {
  return Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type, retriable });
}

function retriesExceeded(cause: Error): Error {
  return Object.assign(new Error(cause.message), {
    name: 'KafkaJSNumberOfRetriesExceeded',
    retriable: false,
    cause,
  });
}

describe('kafkaError', () => {
  it("keeps the broker's error type as serverCode and the message after the context", () => {
    const err = kafkaError('could not read t', protocolError('NOT_LEADER_FOR_PARTITION', true));
    expect(err).toBeInstanceOf(EtlError);
    expect(err).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'NOT_LEADER_FOR_PARTITION',
      retriable: true,
    });
    expect(err.message).toBe('could not read t: broker said NOT_LEADER_FOR_PARTITION');
  });

  it('finds the type of the error that exhausted the retries, and lets it decide retriable', () => {
    const err = kafkaError('x', retriesExceeded(protocolError('LEADER_NOT_AVAILABLE', true)));
    expect(err).toMatchObject({ serverCode: 'LEADER_NOT_AVAILABLE', retriable: true });
  });

  it('is not retriable for a request no retry can fix, whatever flag it carries', () => {
    expect(kafkaError('x', protocolError('MESSAGE_TOO_LARGE', true)).retriable).toBe(false);
    expect(
      kafkaError('x', retriesExceeded(protocolError('TOPIC_AUTHORIZATION_FAILED', false))).retriable,
    ).toBe(false);
  });

  it('follows kafkajs’ flag for an error type it does not list', () => {
    expect(isRetriableKafkaError(protocolError('SOME_NEW_ERROR', true))).toBe(true);
    expect(isRetriableKafkaError(protocolError('SOME_NEW_ERROR', false))).toBe(false);
  });

  it('treats a known transient type as retriable even without kafkajs’ flag (errors built by hand)', () => {
    expect(
      isRetriableKafkaError(Object.assign(new Error('no leader'), { type: 'LEADER_NOT_AVAILABLE' })),
    ).toBe(true);
  });

  it('counts a lost connection as retriable and a plain bug as not', () => {
    const conn = Object.assign(new Error('Connection error: ECONNREFUSED'), {
      name: 'KafkaJSConnectionError',
      retriable: true,
    });
    expect(kafkaError('cannot reach Kafka', retriesExceeded(conn))).toMatchObject({
      retriable: true,
      serverCode: undefined,
    });
    expect(kafkaError('x', new TypeError('undefined is not a function')).retriable).toBe(false);
  });

  it('passes an EtlError through unchanged', () => {
    const inner = new EtlError('TIMEOUT', 'too slow', { retriable: true });
    expect(kafkaError('could not read t', inner)).toBe(inner);
  });

  it('carries the hint and the code asked for', () => {
    const err = kafkaError('x', protocolError('REQUEST_TIMED_OUT', true), {
      code: 'KAFKA_UNAVAILABLE',
      hint: 'check KAFKA_BROKERS',
    });
    expect(err).toMatchObject({ code: 'KAFKA_UNAVAILABLE', hint: 'check KAFKA_BROKERS' });
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b: Error & { cause?: unknown } = new Error('b');
    a.cause = b;
    b.cause = a;
    expect(kafkaErrorType(a)).toBeUndefined();
    expect(isRetriableKafkaError(a)).toBe(false);
  });
  it('an ACL denial: final, with the broker type and a hint naming the principal settings', () => {
    const err = kafkaError('send', protocolError('TOPIC_AUTHORIZATION_FAILED', false));
    expect(err).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      retriable: false,
    });
    expect(err.hint).toContain('docs/security.md#kafka');
  });

  it('a CreateTopics aggregate answers with the denied member, not the topic that already exists', () => {
    const aggregate = Object.assign(new Error('Topic creation errors'), {
      name: 'KafkaJSAggregateError',
      errors: [
        protocolError('TOPIC_ALREADY_EXISTS', false),
        protocolError('TOPIC_AUTHORIZATION_FAILED', false),
      ],
    });
    expect(kafkaErrorType(aggregate)).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(isRetriableKafkaError(aggregate)).toBe(false);
  });
});

describe('isKafkaClientError', () => {
  it('is true for kafkajs’ errors and broker answers, false for anything else', () => {
    expect(isKafkaClientError(protocolError('GROUP_AUTHORIZATION_FAILED', false))).toBe(true);
    expect(isKafkaClientError(retriesExceeded(new Error('x')))).toBe(true);
    expect(isKafkaClientError(Object.assign(new Error('no leader'), { type: 'LEADER_NOT_AVAILABLE' }))).toBe(
      true,
    );
    expect(isKafkaClientError(new TypeError('undefined is not a function'))).toBe(false);
    expect(isKafkaClientError(new EtlError('POSTGRES_ERROR', 'refused'))).toBe(false);
    expect(isKafkaClientError('a string')).toBe(false);
  });
});
