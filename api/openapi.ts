/**
 * The OpenAPI 3.1 description of `retail-etl serve`, served at GET /v1/openapi.json.
 * test/api/openapi.test.ts fails when a route exists that is not described here, or the reverse.
 */
import { CHANNELS, PAYMENT_TYPES, SALE_EVENT_FIELDS } from '../lib/contracts/event/schema.js';
import { SOURCES } from './queries/params.js';

const integer = { type: 'integer' } as const;
/** A revenue sum: exact decimal digits in a string (a JSON number loses digits above 2^53 in JS). */
const exactSum = {
  type: 'string',
  format: 'int64',
  pattern: '^-?(0|[1-9][0-9]*)$',
  description: 'integer cents as a decimal string, exact at any size (parse with BigInt or a decimal type)',
  example: '9007199254740993',
} as const;

const error = {
  type: 'object',
  required: ['error', 'message', 'retriable'],
  properties: {
    error: { type: 'string', description: 'stable code (docs/errors.md)' },
    message: { type: 'string' },
    retriable: { type: 'boolean' },
  },
};
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: `error (${c})`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    ]),
  );
/** The dashboards' PromQL parameters: `query` (required), times in Unix seconds, `dashboard` = a uid for its variables. */
const promParams = (names: string[]) =>
  names.map((name) => ({
    name,
    in: 'query',
    required: name !== 'time' && name !== 'range' && name !== 'dashboard',
    schema: { type: name === 'query' || name === 'dashboard' ? 'string' : 'number' },
  }));

const json = (schema: object, description = 'OK') => ({
  description,
  content: { 'application/json': { schema } },
});
const storeParam = {
  name: 'storeId',
  in: 'path',
  required: true,
  description:
    'a store id as the event contract allows it (docs/events.md#characters-in-ids), percent-encoded',
  schema: { type: 'string', minLength: 1, maxLength: 64 },
};
const instant = { type: 'string', description: 'ISO 8601 with a time zone, or epoch milliseconds' };
/** Every key query: the same answer from Postgres (default) or from ClickHouse's tables. */
const sourceParam = {
  name: 'source',
  in: 'query',
  required: false,
  description:
    'the store answering: `postgres` (default) or `clickhouse` (the tables the ClickHouse sinks fill; same JSON for the same data). 503 when that store is not configured',
  schema: { type: 'string', enum: [...SOURCES], default: 'postgres' },
};

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'stream-retail-etl pipeline API',
    version: '1',
    description:
      'Ingest sale events, steer the producer, and read the key queries. All times are UTC. ' +
      'Every route but /healthz and /readyz needs `Authorization: Bearer <token>` of its scope — ingest ' +
      '(POST /v1/events), read (queries, this document), control (/v1/control/*, /panel) — or the ' +
      'panel’s session cookie; /metrics only when a metrics token is configured. 401 without a valid ' +
      'token, 403 with another scope (docs/security.md).',
  },
  security: [{ bearer: [] }],
  servers: [{ url: 'http://127.0.0.1:8080' }],
  paths: {
    '/v1/events': {
      post: {
        summary: 'Ingest sale events (a JSON array or NDJSON); all-or-nothing per request (docs/ingest.md)',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'array', items: { $ref: '#/components/schemas/SaleEvent' } },
            },
            'application/x-ndjson': { schema: { type: 'string' } },
          },
        },
        responses: {
          '202': json({ type: 'object', properties: { accepted: { type: 'integer' } } }, 'accepted'),
          ...errors(400, 413, 415, 503),
        },
      },
    },
    '/v1/stores/{storeId}/hourly': {
      get: {
        summary: 'Hourly sales per SKU of a store for a UTC day (table sales_hourly)',
        parameters: [
          storeParam,
          { name: 'date', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
          sourceParam,
        ],
        responses: {
          '200': json({
            type: 'object',
            properties: {
              store_id: { type: 'string' },
              date: { type: 'string', format: 'date' },
              rows: { type: 'array', items: { $ref: '#/components/schemas/HourlyRow' } },
            },
          }),
          ...errors(400, 503),
        },
      },
    },
    '/v1/top-skus': {
      get: {
        summary: 'Top SKUs by revenue of the hour containing `hour` (table top_skus)',
        parameters: [{ name: 'hour', in: 'query', required: true, schema: instant }, sourceParam],
        responses: {
          '200': json({
            type: 'object',
            properties: {
              window_start: { type: 'string' },
              rows: { type: 'array', items: { $ref: '#/components/schemas/TopSku' } },
            },
          }),
          ...errors(400, 503),
        },
      },
    },
    '/v1/stores/{storeId}/rolling': {
      get: {
        summary: "The store's latest rolling hour, or the latest at or before `at` (table store_rolling_1h)",
        parameters: [storeParam, { name: 'at', in: 'query', required: false, schema: instant }, sourceParam],
        responses: { '200': json({ $ref: '#/components/schemas/Rolling' }), ...errors(400, 404, 503) },
      },
    },
    '/v1/stores/{storeId}/events': {
      get: {
        summary:
          'Raw events of a store in [from, to), at most 31 days, ordered by event time, keyset-paginated',
        parameters: [
          storeParam,
          { name: 'from', in: 'query', required: true, schema: instant },
          { name: 'to', in: 'query', required: true, schema: instant },
          {
            name: 'limit',
            in: 'query',
            required: false,
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
          {
            name: 'cursor',
            in: 'query',
            required: false,
            schema: { type: 'string', description: 'next_cursor of the previous page' },
          },
          sourceParam,
        ],
        responses: {
          '200': json({
            type: 'object',
            properties: {
              events: { type: 'array', items: { $ref: '#/components/schemas/SaleEvent' } },
              next_cursor: { type: ['string', 'null'] },
            },
          }),
          ...errors(400, 503),
        },
      },
    },
    '/v1/control/producer': {
      get: {
        summary: 'Desired producer state, the safety cap and every replica’s report',
        responses: { '200': json({ type: 'object' }) },
      },
    },
    '/v1/control/producer/rate': {
      put: {
        summary: 'Set the producer rate (events/s); refused above the cap',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['rate'],
                properties: { rate: { type: 'integer', minimum: 1 } },
              },
            },
          },
        },
        responses: { '200': json({ type: 'object' }), ...errors(400, 422, 503) },
      },
    },
    '/v1/control/producer/pause': {
      post: {
        summary: 'Pause every producer replica',
        responses: { '200': json({ type: 'object' }), ...errors(503) },
      },
    },
    '/v1/control/producer/resume': {
      post: {
        summary: 'Resume every producer replica',
        responses: { '200': json({ type: 'object' }), ...errors(503) },
      },
    },
    '/v1/control/metrics': {
      get: {
        summary: 'Live throughput, lag and latency for the panel (from Prometheus)',
        responses: { '200': json({ type: 'object' }) },
      },
    },
    '/panel': {
      get: { summary: 'The web control panel (HTML)', responses: { '200': { description: 'HTML page' } } },
    },
    '/dashboards': {
      get: {
        summary: 'The dashboards of dashboards/*.json, drawn without Grafana (HTML; scope read or control)',
        responses: { '200': { description: 'HTML page' } },
      },
    },
    '/v1/dashboards': {
      get: {
        summary: 'The dashboards: uid, title, description, file, panels (scope read or control)',
        responses: { '200': json({ type: 'object' }) },
      },
    },
    '/v1/dashboards/{uid}': {
      get: {
        summary: 'One dashboard’s JSON, as in dashboards/ (scope read or control)',
        parameters: [{ name: 'uid', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json({ type: 'object' }), ...errors(404) },
      },
    },
    '/v1/prometheus/query': {
      get: {
        summary: 'A PromQL instant query, forwarded to Prometheus (Grafana variables substituted)',
        parameters: promParams(['query', 'time', 'range', 'dashboard']),
        responses: { '200': json({ type: 'object' }, 'Prometheus’s answer'), ...errors(400, 503) },
      },
    },
    '/v1/prometheus/query_range': {
      get: {
        summary: 'A PromQL range query, forwarded to Prometheus (at most 11,000 points)',
        parameters: promParams(['query', 'start', 'end', 'step', 'dashboard']),
        responses: { '200': json({ type: 'object' }, 'Prometheus’s answer'), ...errors(400, 503) },
      },
    },
    '/v1/openapi.json': {
      get: { summary: 'This description', responses: { '200': json({ type: 'object' }) } },
    },
    '/healthz': {
      get: { summary: 'Process alive', security: [], responses: { '200': json({ type: 'object' }) } },
    },
    '/readyz': {
      get: {
        security: [],
        summary: 'Connected to Kafka and the database',
        responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }, 'not ready') },
      },
    },
    '/metrics': {
      get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format' } } },
    },
  },
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'a token of the route’s scope (.stack/env)' },
    },
    schemas: {
      Error: error,
      SaleEvent: {
        type: 'object',
        // Every field of the contract but the nullable customer_id.
        required: SALE_EVENT_FIELDS.filter((f) => f !== 'customer_id'),
        additionalProperties: false,
        properties: {
          event_id: { type: 'string', format: 'uuid' },
          event_time: { type: 'integer', description: 'epoch milliseconds' },
          store_id: { type: 'string', minLength: 1, maxLength: 64 },
          sku: { type: 'string', minLength: 1, maxLength: 64 },
          quantity: { type: 'integer', not: { const: 0 }, minimum: -10000, maximum: 10000 },
          unit_price_cents: { type: 'integer', minimum: 0, maximum: 100000000 },
          currency: { type: 'string', pattern: '^[A-Z]{3}$' },
          channel: { enum: CHANNELS },
          payment_type: { enum: PAYMENT_TYPES },
          customer_id: { type: ['string', 'null'], maxLength: 64 },
          basket_id: { type: 'string', minLength: 1, maxLength: 64 },
        },
      },
      HourlyRow: {
        type: 'object',
        properties: {
          skus: { type: 'integer', description: 'SKUs sold in the hour (store totals only)' },
          window_start: { type: 'string', format: 'date-time' },
          quantity: integer,
          revenue_cents: exactSum,
          returns: integer,
          orders: integer,
        },
      },
      TopSku: {
        type: 'object',
        properties: {
          rank: integer,
          sku: { type: 'string' },
          revenue_cents: exactSum,
          quantity: integer,
        },
      },
      Rolling: {
        type: 'object',
        properties: {
          store_id: { type: 'string' },
          window_end: { type: 'string', format: 'date-time' },
          quantity: integer,
          revenue_cents: exactSum,
          orders: integer,
        },
      },
    },
  },
} as const;
