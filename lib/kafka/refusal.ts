/**
 * A long-running server's background Kafka connection that the broker refuses — an ACL the
 * principal lacks (TOPIC_/TRANSACTIONAL_ID_/CLUSTER_AUTHORIZATION_FAILED…), refused credentials, any
 * answer in FINAL_KAFKA_ERRORS. `retail-etl serve` stays up then (its queries, pages and /healthz
 * do not need Kafka), but it must not treat the refusal as "Kafka is still starting": it says why in
 * /readyz and in every 503 (stable code KAFKA_ERROR, the broker's type, retriable: false, the topic
 * or transactional id, the principal), logs the refusal once (again only when it changes), and tries
 * again only rarely — 5 s, doubling up to a minute — because an operator can fix an ACL without a
 * restart. Transient failures (broker down, leader moving) keep the quick 1 s retry.
 * One-shot processes (sinks, processors, producer) exit with KAFKA_ERROR instead (docs/security.md).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { environment, kafkaSecurityConfig } from '../config/index.js';
import { EtlError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FINAL_KAFKA_ERRORS, kafkaErrorType, kafkaSecurityHint } from './errors.js';

/** Wait after a transient failure (broker down or starting). */
export const TRANSIENT_RETRY_MS = 1000;
/** First wait after a refusal; it doubles with each refusal in a row… */
export const REFUSED_RETRY_MIN_MS = 5000;
/** …up to this: an operator who fixes the ACL sees the server ready within a minute. */
export const REFUSED_RETRY_MAX_MS = 60_000;

/** What the broker refused: the topic or transactional id a request named. */
export interface KafkaResource {
  kind: 'topic' | 'transactional id' | 'group' | 'cluster';
  name: string;
}

/** The names a connection uses, so a refusal can name the one its type is about. */
export interface KafkaResources {
  topic?: string;
  transactionalId?: string;
  group?: string;
}

/** The resource a refusal of `type` is about: by the type where it says, else the step's. */
export function refusedResource(
  type: string,
  step: KafkaResource,
  known: KafkaResources = {},
): KafkaResource {
  if (type === 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' && known.transactionalId !== undefined)
    return { kind: 'transactional id', name: known.transactionalId };
  if (type === 'TOPIC_AUTHORIZATION_FAILED' && step.kind !== 'topic' && known.topic !== undefined)
    return { kind: 'topic', name: known.topic };
  if (type === 'GROUP_AUTHORIZATION_FAILED' && known.group !== undefined)
    return { kind: 'group', name: known.group };
  if (type === 'CLUSTER_AUTHORIZATION_FAILED') return { kind: 'cluster', name: 'kafka-cluster' };
  return step;
}

/** The wait before attempt n+1 after `refusalsInARow` refusals (1 = the first). */
export function refusedRetryDelayMs(refusalsInARow: number): number {
  const n = Math.max(1, refusalsInARow);
  return Math.min(REFUSED_RETRY_MAX_MS, REFUSED_RETRY_MIN_MS * 2 ** Math.min(n - 1, 16));
}

/**
 * The broker's type when `err` is a refusal no quick retry can change, else undefined. A refused
 * SCRAM login has no protocol type in kafkajs: SASL_AUTHENTICATION_FAILED then.
 */
export function refusalType(err: unknown): string | undefined {
  const type = kafkaErrorType(err);
  if (type !== undefined && FINAL_KAFKA_ERRORS.has(type)) return type;
  if (kafkaSecurityHint(err) !== undefined) return type ?? 'SASL_AUTHENTICATION_FAILED';
  return undefined;
}

/**
 * Who the broker sees: the SASL user, the client certificate's subject, or ANONYMOUS (plaintext).
 * Never a secret.
 */
export function kafkaPrincipal(env: NodeJS.ProcessEnv = environment()): string {
  const c = kafkaSecurityConfig(env);
  if (c.protocol === 'sasl_ssl' && c.saslUsername !== undefined) return c.saslUsername;
  if (c.certFile !== undefined) {
    try {
      return new X509Certificate(readFileSync(c.certFile)).subject.replace(/\n/g, ',');
    } catch {
      return `the certificate in ${c.certFile}`;
    }
  }
  return 'ANONYMOUS';
}

/** A refused request, as a 503 reports it: KAFKA_ERROR, the broker's type, retriable: false. */
export class KafkaRefused extends EtlError {
  constructor(
    readonly resource: KafkaResource,
    readonly principal: string,
    serverCode: string,
    cause: unknown,
  ) {
    super(
      'KAFKA_ERROR',
      `kafka refused: ${serverCode} on ${resource.kind} ${resource.name} for principal ${principal}: ${(cause as Error | undefined)?.message ?? String(cause)}`,
      { retriable: false, serverCode, hint: kafkaSecurityHint(cause), cause },
    );
    this.name = 'KafkaRefused';
  }

  /** The short form for /readyz: no kafkajs message, just who was refused what. */
  get status(): string {
    return `kafka refused: ${this.serverCode ?? 'UNKNOWN'} on ${this.resource.kind} ${this.resource.name} for principal ${this.principal}`;
  }

  /** The fields a JSON error body adds to `error`, `message` and `retriable`. */
  get details(): Record<string, unknown> {
    return {
      serverCode: this.serverCode,
      resource: this.resource,
      principal: this.principal,
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
    };
  }
}

/**
 * The state of one background connection: `failed` classifies an attempt's error, logs what is
 * new and answers how long to wait; `connected` resets it. `refusal` is set while the last attempt
 * (or the last send) was refused.
 */
export class KafkaConnectionState {
  private refusals = 0;
  private transient = 0;
  private logged: string | undefined;
  refusal: KafkaRefused | undefined;
  reason = 'not connected yet';

  constructor(
    private readonly logger: Logger,
    /** Names the connection in log lines, e.g. `ingest`. */
    private readonly what: string,
    private readonly known: KafkaResources = {},
    readonly principal: string = kafkaPrincipal(),
  ) {}

  /**
   * Record a failed attempt of the step that asked for `resource`; returns the milliseconds to
   * wait before the next attempt.
   */
  failed(err: unknown, resource: KafkaResource): number {
    const refused = this.refuse(err, resource);
    if (refused !== undefined) {
      this.transient = 0;
      const wait = refusedRetryDelayMs(++this.refusals);
      this.logRefusal(refused, wait);
      return wait;
    }
    this.refusal = undefined;
    this.refusals = 0;
    this.logged = undefined;
    this.reason = (err as Error | undefined)?.message ?? String(err);
    if (this.transient++ % 10 === 0)
      this.logger.warn(`${this.what} cannot reach Kafka or the registry yet; retrying`, { err });
    return TRANSIENT_RETRY_MS;
  }

  /**
   * A refusal of a request on an open connection (a send the ACL forbids): recorded for /readyz and
   * logged once, without a retry schedule of its own. Undefined when `err` is no refusal.
   */
  refuse(err: unknown, resource: KafkaResource): KafkaRefused | undefined {
    const type = refusalType(err);
    if (type === undefined) return undefined;
    this.refusal = new KafkaRefused(refusedResource(type, resource, this.known), this.principal, type, err);
    this.reason = this.refusal.status;
    return this.refusal;
  }

  /** Log `refused` when it differs from the refusal logged last (type, resource, principal). */
  logRefusal(refused: KafkaRefused, retryInMs?: number): void {
    if (refused.status === this.logged) return;
    this.logged = refused.status;
    this.logger.error(`${this.what}: ${refused.status}; not ready until an operator grants it`, {
      code: refused.code,
      serverCode: refused.serverCode,
      resource: refused.resource,
      principal: refused.principal,
      retriable: false,
      hint: refused.hint,
      ...(retryInMs !== undefined ? { retryInMs } : {}),
      message: (refused.cause as Error | undefined)?.message,
    });
  }

  connected(): void {
    if (this.refusal !== undefined || this.logged !== undefined)
      this.logger.info(`${this.what}: Kafka no longer refuses`, { principal: this.principal });
    this.refusal = undefined;
    this.refusals = 0;
    this.transient = 0;
    this.logged = undefined;
    this.reason = 'connected';
  }
}

/** Sleep `ms`, ending early (without an error) when `signal` aborts: a close must not wait a minute. */
export async function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}
