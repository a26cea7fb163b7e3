/**
 * POST /v1/events — push sale events in over HTTP (webhook style). Every event is checked with the
 * shared validator; the request is all-or-nothing: 202 {accepted: n} when every event was valid and
 * committed in one Kafka transaction, 400 listing each invalid event's index and reasons (nothing
 * written), 413 for a body or batch above the limits, 429 + Retry-After when too much is waiting
 * for Kafka, 503 + Retry-After when Kafka is unreachable (nothing visible to read_committed readers),
 * 503 KAFKA_ERROR with the broker's type and retriable: false when the broker refuses this server's
 * principal (an ACL: retrying the request cannot help until an operator grants it).
 * docs/ingest.md describes every answer.
 */
import { Counter, Histogram } from 'prom-client';
import type { SaleEvent } from '../../lib/contracts/event/schema.js';
import type { FieldProblem } from '../../lib/contracts/event/validate.js';
import { validateEvent } from '../../lib/contracts/event/validate.js';
import { HttpError, readBody, sendJson } from '../http.js';
import { ACCEPTED_CONTENT_TYPES, formatOf, parseEvents } from '../ingest/parse.js';
import { defaultTransactionalId, EventSender, KafkaUnavailable, Overloaded } from '../ingest/sender.js';
import { KafkaRefused } from '../../lib/kafka/index.js';
import type { ApiContext, RouteModule } from '../router.js';
import { zeroSeries } from '../../lib/metric-zero.js';

export interface IngestModuleOptions {
  brokers?: string[];
  registryUrl?: string;
}

/** The statuses this route answers itself (401/403 come from the router, before it is counted). */
export const INGEST_STATUSES = ['202', '400', '413', '415', '429', '500', '503'] as const;

export function ingestModule(options: IngestModuleOptions = {}): RouteModule {
  return {
    name: 'ingest',
    create({ config, logger, registry }: ApiContext) {
      const requests = new Counter({
        name: 'retail_ingest_requests_total',
        help: 'POST /v1/events requests by HTTP status',
        labelNames: ['status'] as const,
        registers: [registry],
      });
      const events = new Counter({
        name: 'retail_ingest_events_total',
        help: 'Events received by result (accepted, rejected = in a refused request)',
        labelNames: ['result'] as const,
        registers: [registry],
      });
      // 0 from the start (lib/metric-zero.ts): "no event rejected yet" is 0, not "No data".
      zeroSeries(events, [{ result: 'accepted' }, { result: 'rejected' }]);
      zeroSeries(
        requests,
        INGEST_STATUSES.map((status) => ({ status })),
      );
      const duration = new Histogram({
        name: 'retail_ingest_request_duration_seconds',
        help: 'POST /v1/events time from request to answer',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      });
      const sendLatency = new Histogram({
        name: 'retail_ingest_kafka_send_duration_seconds',
        help: 'Kafka transaction time, begin to commit (several HTTP requests may share one)',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      });
      const sender = new EventSender({
        topic: config.topic,
        kafkaTimeoutMs: config.kafkaTimeoutMs,
        logger: logger.child({ module: 'ingest' }),
        sendLatency,
        ...(options.brokers ? { brokers: options.brokers } : {}),
        ...(options.registryUrl ? { registryUrl: options.registryUrl } : {}),
        maxQueuedEvents: config.maxQueuedEvents,
        transactionalId: config.transactionalId ?? defaultTransactionalId(config.port),
      });
      const unavailable = (err: KafkaUnavailable) =>
        new HttpError(
          503,
          'KAFKA_UNAVAILABLE',
          err.message,
          { accepted: 0 },
          { 'retry-after': String(config.retryAfterSeconds) },
          true,
        );

      return {
        routes: [
          {
            method: 'POST',
            path: '/v1/events',
            access: 'ingest',
            accepts: ACCEPTED_CONTENT_TYPES,
            handler: async ({ req, res }) => {
              const end = duration.startTimer();
              let status = 500;
              let received = 0;
              try {
                formatOf(req.headers['content-type']);
                const body = await readBody(req, config.maxBodyBytes);
                const parsed = parseEvents(body, req.headers['content-type']);
                received = parsed.items.length;
                if (received > config.maxEvents) {
                  throw new HttpError(
                    413,
                    'BODY_TOO_LARGE',
                    `${received} events exceed the limit of ${config.maxEvents} per request; split the batch`,
                    { limit: config.maxEvents, accepted: 0 },
                  );
                }
                const now = Date.now();
                const invalid: { index: number; problems: FieldProblem[] }[] = [...parsed.lineErrors];
                const valid: SaleEvent[] = [];
                const badLines = new Set(parsed.lineErrors.map((e) => e.index));
                parsed.items.forEach((item, index) => {
                  if (badLines.has(index)) return;
                  const v = validateEvent(item, { now, maxFutureMs: config.maxFutureMs });
                  if (v.ok) valid.push(v.event);
                  else invalid.push({ index, problems: v.problems });
                });
                if (invalid.length > 0) {
                  invalid.sort((a, b) => a.index - b.index);
                  throw new HttpError(
                    400,
                    'EVENT_INVALID',
                    `${invalid.length} of ${received} events are invalid; nothing was written`,
                    { accepted: 0, invalid },
                  );
                }
                try {
                  await sender.send(valid);
                } catch (err) {
                  if (err instanceof KafkaUnavailable) throw unavailable(err);
                  if (err instanceof KafkaRefused)
                    throw new HttpError(503, 'KAFKA_ERROR', err.message, { accepted: 0, ...err.details });
                  if (err instanceof Overloaded)
                    throw new HttpError(
                      429,
                      'OVERLOADED',
                      err.message,
                      { accepted: 0 },
                      { 'retry-after': '1' },
                      true,
                    );
                  throw err;
                }
                status = 202;
                events.inc({ result: 'accepted' }, valid.length);
                sendJson(res, 202, { accepted: valid.length });
              } catch (err) {
                if (err instanceof HttpError) status = err.status;
                events.inc({ result: 'rejected' }, received);
                throw err;
              } finally {
                requests.inc({ status: String(status) });
                end();
              }
            },
          },
        ],
        ready: () => (sender.ready ? true : { ready: false, status: `ingest: ${sender.reason}` }),
        close: () => sender.close(),
      };
    },
  };
}
