/**
 * A background connection the broker refuses: classified as final (KAFKA_ERROR, the broker's type,
 * retriable: false, the resource and principal named), logged once per distinct refusal, retried
 * with a backoff from 5 s to a minute — while transient failures keep the 1 s retry.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/logger.js';
import {
  KafkaConnectionState,
  KafkaRefused,
  REFUSED_RETRY_MAX_MS,
  TRANSIENT_RETRY_MS,
  refusalType,
  refusedResource,
  refusedRetryDelayMs,
} from '../../../lib/kafka/index.js';

function protocolError(type: string, retriable: boolean): Error {
  return Object.assign(new Error(`broker said ${type}`), { name: 'KafkaJSProtocolError', type, retriable });
}

function stateWithLog() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', { level: 'debug', write: (l) => lines.push(JSON.parse(l)) });
  const state = new KafkaConnectionState(
    logger,
    'ingest',
    { topic: 'retail.sales.v1', transactionalId: 'retail-ingest-h-8080' },
    'ingest',
  );
  return { state, lines };
}

describe('refusedRetryDelayMs', () => {
  it('starts at 5 s, doubles and stops at a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(refusedRetryDelayMs)).toEqual([
      5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000,
    ]);
  });
});

describe('refusalType', () => {
  it('is the broker type for ACL refusals and other final answers, undefined for transient ones', () => {
    expect(refusalType(protocolError('TOPIC_AUTHORIZATION_FAILED', false))).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );
    expect(refusalType(protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false))).toBe(
      'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
    );
    expect(refusalType(protocolError('CLUSTER_AUTHORIZATION_FAILED', false))).toBe(
      'CLUSTER_AUTHORIZATION_FAILED',
    );
    expect(refusalType(protocolError('LEADER_NOT_AVAILABLE', true))).toBeUndefined();
    expect(refusalType(new Error('connect ECONNREFUSED 127.0.0.1:9092'))).toBeUndefined();
  });

  it('names a refused SCRAM login, which kafkajs gives no protocol type', () => {
    const sasl = Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), {
      name: 'KafkaJSSASLAuthenticationError',
    });
    expect(refusalType(sasl)).toBe('SASL_AUTHENTICATION_FAILED');
  });
});

describe('refusedResource', () => {
  const known = { topic: 't', transactionalId: 'tx', group: 'g' };
  it('names what the type is about, else the step that was refused', () => {
    const step = { kind: 'topic', name: 'dlq' } as const;
    expect(refusedResource('TOPIC_AUTHORIZATION_FAILED', step, known)).toEqual(step);
    expect(refusedResource('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', step, known)).toEqual({
      kind: 'transactional id',
      name: 'tx',
    });
    expect(
      refusedResource('TOPIC_AUTHORIZATION_FAILED', { kind: 'transactional id', name: 'tx' }, known),
    ).toEqual({
      kind: 'topic',
      name: 't',
    });
    expect(refusedResource('CLUSTER_AUTHORIZATION_FAILED', step, known)).toEqual({
      kind: 'cluster',
      name: 'kafka-cluster',
    });
  });
});

describe('KafkaConnectionState', () => {
  it('a refusal: KAFKA_ERROR, retriable false, resource and principal named, backoff not 1 s', () => {
    const { state } = stateWithLog();
    const wait = state.failed(protocolError('TOPIC_AUTHORIZATION_FAILED', false), {
      kind: 'topic',
      name: 'retail.sales.dlq',
    });
    expect(wait).toBe(5000);
    expect(state.refusal).toBeInstanceOf(KafkaRefused);
    expect(state.refusal).toMatchObject({
      code: 'KAFKA_ERROR',
      retriable: false,
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
    });
    expect(state.reason).toBe(
      'kafka refused: TOPIC_AUTHORIZATION_FAILED on topic retail.sales.dlq for principal ingest',
    );
    expect(state.refusal?.details).toMatchObject({
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      resource: { kind: 'topic', name: 'retail.sales.dlq' },
      principal: 'ingest',
    });
    expect(state.refusal?.message).toContain('broker said TOPIC_AUTHORIZATION_FAILED');
    expect(state.refusal?.hint).toContain('docs/security.md#kafka');
  });

  it('logs a refusal once, again only when it changes, and backs off to a minute', () => {
    const { state, lines } = stateWithLog();
    const topicDenied = protocolError('TOPIC_AUTHORIZATION_FAILED', false);
    const waits = [1, 2, 3, 4, 5, 6, 7].map(() =>
      state.failed(topicDenied, { kind: 'topic', name: 'retail.sales.dlq' }),
    );
    expect(waits).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
    expect(Math.max(...waits)).toBe(REFUSED_RETRY_MAX_MS);
    const refusals = () => lines.filter((l) => l['level'] === 'error');
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]).toMatchObject({
      code: 'KAFKA_ERROR',
      serverCode: 'TOPIC_AUTHORIZATION_FAILED',
      principal: 'ingest',
      retriable: false,
      retryInMs: 5000,
    });
    // The operator grants the topic; now the transactional id is refused: a new line.
    state.failed(protocolError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED', false), {
      kind: 'transactional id',
      name: 'retail-ingest-h-8080',
    });
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]?.['msg']).toContain(
      'TRANSACTIONAL_ID_AUTHORIZATION_FAILED on transactional id retail-ingest-h-8080',
    );
    state.connected();
    expect(state.refusal).toBeUndefined();
    expect(state.reason).toBe('connected');
    expect(lines.at(-1)?.['msg']).toBe('ingest: Kafka no longer refuses');
  });

  it('a transient failure is retried after 1 s and clears an earlier refusal', () => {
    const { state, lines } = stateWithLog();
    state.failed(protocolError('TOPIC_AUTHORIZATION_FAILED', false), { kind: 'topic', name: 't' });
    expect(state.failed(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { kind: 'topic', name: 't' })).toBe(
      TRANSIENT_RETRY_MS,
    );
    expect(state.refusal).toBeUndefined();
    expect(state.reason).toBe('connect ECONNREFUSED 127.0.0.1:9092');
    expect(lines.filter((l) => l['level'] === 'warn')).toHaveLength(1);
  });

  it('a refused send on an open connection is recorded without a retry schedule', () => {
    const { state } = stateWithLog();
    expect(state.refuse(new Error('socket hang up'), { kind: 'topic', name: 't' })).toBeUndefined();
    const refused = state.refuse(protocolError('TOPIC_AUTHORIZATION_FAILED', false), {
      kind: 'topic',
      name: 'retail.sales.v1',
    });
    expect(refused?.status).toBe(
      'kafka refused: TOPIC_AUTHORIZATION_FAILED on topic retail.sales.v1 for principal ingest',
    );
  });
});
