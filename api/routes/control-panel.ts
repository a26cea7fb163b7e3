/**
 * The control routes of `retail-etl serve` the web control panel talks to (its pages and sign-in:
 * api/routes/panel-pages.ts; plain HTML + JS in api/panel/, no build step). Every route needs a
 * token of scope `control` (or the panel's session); the audit log and the control record name
 * the authenticated identity, never what the request claims:
 *
 *   GET  /v1/control/producer        desired rate/pause, the safety cap, every replica's report
 *   PUT  /v1/control/producer/rate   {"rate": n}  — 422 RATE_ABOVE_CAP above the cap, with the reason
 *   POST /v1/control/producer/pause  POST /v1/control/producer/resume
 *   GET  /v1/control/metrics         live throughput, lag and latency, read from Prometheus
 *
 * A change is a record in the compacted control topic (the producer's own publishControl), exactly
 * as `retail-etl producer rate|pause|resume` writes it; every producer replica follows the topic.
 * Two operators changing the rate at once: the topic orders the writes, the last one wins, and
 * this server follows the topic, so every panel shows the final value. Prometheus being down only
 * blanks the live figures; the controls do not depend on it. A broker that refuses this server's
 * principal the control topic (an ACL) is reported as ingest reports it (lib/kafka/refusal.ts):
 * once in the log, in /readyz, and as 503 KAFKA_ERROR with retriable: false; retried rarely.
 */
import type { Kafka, KafkaResource, Producer } from '../../lib/kafka/index.js';
import {
  KafkaConnectionState,
  Partitioners,
  createKafka,
  ensureTopics,
  waitOrAbort,
  withCoordinatorAnswer,
} from '../../lib/kafka/index.js';
import type { Schema } from '../../lib/config/index.js';
import { PRODUCER_CONTROL_TOPIC, PRODUCER_GROUP, resolveConfig } from '../../lib/config/index.js';
import { MAX_RATE_FIELD } from '../../producer/config.js';
import type { ControlRecord, PausedRecord, RateRecord } from '../../lib/contracts/control.js';
import { ControlFollower, publishControl } from '../../producer/control.js';
import { controlKeys, pausedRecord, rateRecord } from '../../lib/contracts/control.js';
import { HttpError, readBody, sendJson } from '../http.js';
import type { ApiContext, RequestContext, RouteModule } from '../router.js';
import { queryFigures } from './control-panel-figures.js';

export const CONTROL_PANEL_SCHEMA = {
  group: PRODUCER_GROUP,
  controlTopic: PRODUCER_CONTROL_TOPIC,
  maxRate: {
    ...MAX_RATE_FIELD,
    doc: 'safety cap: a rate above it (or above a running replica’s own cap) is refused',
  },
  prometheusUrl: {
    type: 'string',
    env: 'PROMETHEUS_URL',
    default: 'http://127.0.0.1:9090',
    doc: 'where the live figures come from',
  },
} satisfies Schema;

export interface ControlPanelOptions {
  group?: string;
  controlTopic?: string;
  maxRate?: number;
  prometheusUrl?: string;
  kafka?: Kafka;
}

/** A replica whose last report is older than this is shown as stale (as `producer status` does). */
const STALE_MS = 15_000;
function signature(r: RateRecord | PausedRecord): string {
  return JSON.stringify([r.kind, r.kind === 'rate' ? r.rate : r.paused, r.actor, r.at]);
}

export function controlPanelModule(options: ControlPanelOptions = {}): RouteModule {
  return {
    name: 'control-panel',
    create({ logger }: ApiContext) {
      const config = resolveConfig('serve', CONTROL_PANEL_SCHEMA, {
        group: options.group,
        controlTopic: options.controlTopic,
        maxRate: options.maxRate,
        prometheusUrl: options.prometheusUrl,
      });
      const log = logger.child({ group: config.group });
      const kafka = options.kafka ?? createKafka('retail-control-panel');
      const keys = controlKeys(config.group);
      const follower = new ControlFollower(kafka, config.controlTopic, config.group, log);
      const seen = new Set<string>();
      const waiters = new Set<() => void>();
      let producer: Producer | undefined;
      let connected = false;
      const closing = new AbortController();
      const topic: KafkaResource = { kind: 'topic', name: config.controlTopic };
      const kafkaState = new KafkaConnectionState(log, 'control panel', {
        topic: config.controlTopic,
        group: follower.groupId,
      });

      // Connect in the background, retrying: the server (and ingest) must not wait for this.
      const connect = async (): Promise<void> => {
        while (!closing.signal.aborted) {
          let wait: number;
          try {
            const admin = kafka.admin();
            await admin.connect();
            try {
              await ensureTopics(admin, [{ topic: config.controlTopic, numPartitions: 1, compacted: true }]);
            } finally {
              await admin.disconnect().catch(() => undefined);
            }
            producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
            await producer.connect();
            await follower.start((record) => {
              // The panel sets the rate and pauses; an injected anomaly is the CLI's.
              if (record.kind === 'anomaly') return;
              seen.add(signature(record));
              for (const w of waiters) w();
            });
            connected = true;
            kafkaState.connected();
            log.info('control panel following the control topic', { topic: config.controlTopic });
            return;
          } catch (err) {
            await producer?.disconnect().catch(() => undefined);
            producer = undefined;
            // A refused group hides behind kafkajs' "Failed to find group coordinator": ask why.
            const why = await withCoordinatorAnswer(kafka, follower.groupId, err);
            // Transient: every 5 s as before (the panel is not in a hurry); refused: 5 s up to 60 s.
            wait = Math.max(5000, kafkaState.failed(why, topic));
          }
          await waitOrAbort(wait, closing.signal);
        }
      };
      const connecting = connect();

      const state = () => {
        const now = Date.now();
        const replicas = [...follower.state.replicas.values()].map((r) => ({
          ...r,
          stale: now - Date.parse(r.at) > STALE_MS,
        }));
        const live = replicas.filter((r) => !r.stale && r.state !== 'stopped');
        const replicaCap = Math.min(...live.map((r) => r.cap));
        const cap = Math.min(config.maxRate, replicaCap);
        const desired = follower.state.rate;
        const paused = follower.state.paused;
        // With no desired rate in the topic yet, the replicas' own start rate is what runs.
        const rate = desired?.rate ?? live[0]?.rate ?? null;
        return {
          group: config.group,
          connected,
          cap,
          capSource:
            replicaCap < config.maxRate ? 'a running replica’s --max-rate' : 'the server’s PRODUCER_MAX_RATE',
          rate,
          paused: paused?.paused ?? false,
          rateSetBy: desired ? { actor: desired.actor, at: desired.at } : null,
          pausedSetBy: paused ? { actor: paused.actor, at: paused.at } : null,
          actualRate: Math.round(live.reduce((s, r) => s + (r.paused ? 0 : r.actualRate), 0) * 10) / 10,
          replicas,
        };
      };

      const requireConnected = (): void => {
        if (!connected && kafkaState.refusal)
          throw new HttpError(503, 'KAFKA_ERROR', kafkaState.refusal.message, kafkaState.refusal.details);
        if (!connected || !producer) {
          throw new HttpError(
            503,
            'KAFKA_UNAVAILABLE',
            'the control topic is not reachable yet: Kafka is down or still starting',
            {},
            { 'retry-after': '5' },
            true,
          );
        }
      };

      /** Publish and wait (≤ 5 s) until this server's follower has read the record back. */
      const publish = async (key: string, record: RateRecord | PausedRecord, ctx: RequestContext) => {
        requireConnected();
        const sig = signature(record);
        const back = new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => done(false), 5000);
          const check = () => seen.has(sig) && done(true);
          function done(ok: boolean) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(ok);
          }
          waiters.add(check);
        });
        try {
          await publishControl(producer as Producer, config.controlTopic, key, record as ControlRecord);
          if (kafkaState.refusal) kafkaState.connected();
        } catch (err) {
          const refused = kafkaState.refuse(err, topic);
          if (refused) {
            kafkaState.logRefusal(refused);
            throw new HttpError(503, 'KAFKA_ERROR', refused.message, refused.details);
          }
          throw new HttpError(
            503,
            'KAFKA_UNAVAILABLE',
            (err as Error).message,
            {},
            { 'retry-after': '5' },
            true,
          );
        }
        const confirmed = await back;
        log.info('audit: control action', {
          audit: true,
          actor: record.actor,
          action: record.kind === 'rate' ? `rate ${record.rate}` : record.paused ? 'pause' : 'resume',
          via: ctx.principal?.via,
          claimed: claimedActor(ctx),
          from: ctx.req.socket.remoteAddress,
          record,
        });
        sendJson(ctx.res, 200, { ...state(), confirmed });
      };

      /** The authenticated identity (`control:<fingerprint>`): the guard guarantees there is one. */
      const actorOf = (ctx: RequestContext): string => ctx.principal?.identity.name ?? 'unknown';
      /** What the request says about its author (X-Actor): logged beside the identity, never trusted. */
      const claimedActor = (ctx: RequestContext): string | undefined => {
        const given = ctx.req.headers['x-actor'];
        return typeof given === 'string' && given.trim() !== '' ? given.trim().slice(0, 64) : undefined;
      };

      const jsonBody = async (ctx: RequestContext): Promise<Record<string, unknown>> => {
        const raw = await readBody(ctx.req, 16 * 1024);
        if (raw.length === 0) return {};
        try {
          const parsed = JSON.parse(raw.toString('utf8')) as unknown;
          if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
            return parsed as Record<string, unknown>;
        } catch {
          /* fall through */
        }
        throw new HttpError(400, 'MALFORMED_BODY', 'the body must be a JSON object, e.g. {"rate": 500}');
      };

      return {
        routes: [
          {
            method: 'GET',
            path: '/v1/control/producer',
            access: 'control',
            handler: ({ res }) => sendJson(res, 200, state()),
          },
          {
            method: 'PUT',
            path: '/v1/control/producer/rate',
            access: 'control',
            handler: async (ctx) => {
              const body = await jsonBody(ctx);
              const rate = body['rate'];
              if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1) {
                throw new HttpError(
                  400,
                  'INVALID_ARGUMENT',
                  `rate must be a whole number of events per second ≥ 1, got ${JSON.stringify(rate)}`,
                  {
                    field: 'rate',
                  },
                );
              }
              const s = state();
              if (rate > s.cap) {
                log.warn('audit: control action refused', {
                  audit: true,
                  actor: actorOf(ctx),
                  rate,
                  cap: s.cap,
                });
                throw new HttpError(
                  422,
                  'RATE_ABOVE_CAP',
                  `rate ${rate} events/s is above the safety cap of ${s.cap} events/s (set by ${s.capSource})`,
                  {
                    cap: s.cap,
                    rate,
                    hint: 'choose a lower rate, or restart the producers and the server with a higher PRODUCER_MAX_RATE',
                  },
                );
              }
              await publish(keys.rate, rateRecord(rate, actorOf(ctx)), ctx);
            },
          },
          {
            method: 'POST',
            path: '/v1/control/producer/pause',
            access: 'control',
            handler: async (ctx) => {
              await jsonBody(ctx); // a body, if any, must be a JSON object
              await publish(keys.paused, pausedRecord(true, actorOf(ctx)), ctx);
            },
          },
          {
            method: 'POST',
            path: '/v1/control/producer/resume',
            access: 'control',
            handler: async (ctx) => {
              await jsonBody(ctx); // a body, if any, must be a JSON object
              await publish(keys.paused, pausedRecord(false, actorOf(ctx)), ctx);
            },
          },
          {
            method: 'GET',
            path: '/v1/control/metrics',
            access: 'control',
            handler: async ({ res }) => sendJson(res, 200, await queryFigures(config.prometheusUrl)),
          },
        ],
        ready: () =>
          connected && !kafkaState.refusal
            ? true
            : { ready: false, status: `control panel: ${kafkaState.reason}` },
        close: async () => {
          closing.abort();
          await connecting.catch(() => undefined);
          await follower.stop();
          await producer?.disconnect().catch(() => undefined);
        },
      };
    },
  };
}
