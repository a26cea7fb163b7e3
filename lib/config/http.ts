/**
 * Settings of every HTTP server the project runs (`retail-etl serve` and each process's metrics
 * server): the API tokens, the Host allowlist against DNS rebinding, the timeouts, the connection
 * cap and the budget of request bytes in flight. docs/security.md explains the choices.
 */
import type { ConfigOf, IntField, Schema, StringField } from './schema.js';
import { configResolver } from './schema.js';

/** The scopes a token can hold; each route needs exactly one (docs/security.md lists them). */
export const TOKEN_SCOPES = ['ingest', 'read', 'control', 'metrics'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** How many tokens a scope accepts at once: the current one and the next (rotation without downtime). */
export const MAX_TOKENS_PER_SCOPE = 2;

const tokenField = (scope: TokenScope, what: string): StringField => ({
  type: 'string',
  env: `RETAIL_TOKEN_${scope.toUpperCase()}`,
  secret: true,
  doc:
    `bearer token(s) of scope \`${scope}\` (${what}): up to ${MAX_TOKENS_PER_SCOPE}, comma-separated, each the token ` +
    'itself (≥ 32 characters) or `sha256:<64 hex>` of it; only the hashes are kept in memory. Unset: the scope’s routes answer 401',
});

const ms = (env: string, def: number, doc: string): IntField & { default: number } => ({
  type: 'int',
  env,
  default: def,
  min: 100,
  max: 3_600_000,
  doc,
});

export const HTTP_SCHEMA = {
  tokensIngest: tokenField('ingest', 'POST /v1/events; `make up` writes it to .stack/env'),
  tokensRead: tokenField('read', 'the query routes and the OpenAPI document; `make up` writes it'),
  tokensControl: tokenField('control', 'the control panel and /v1/control/*; `make up` writes it'),
  tokensMetrics: tokenField(
    'metrics',
    'GET /metrics; when set, /metrics of every server needs it — set it when a server listens beyond the loopback',
  ),
  allowedHosts: {
    type: 'string',
    env: 'RETAIL_HTTP_ALLOWED_HOSTS',
    default: '127.0.0.1,localhost,[::1]',
    doc: 'host names a request’s Host header may carry (with the server’s own port), comma-separated; others get 421 (DNS rebinding). `*` turns the check off',
  },
  headersTimeoutMs: ms(
    'RETAIL_HTTP_HEADERS_TIMEOUT_MS',
    10_000,
    'a request whose headers take longer to arrive gets 408 and its connection is closed',
  ),
  requestTimeoutMs: ms(
    'RETAIL_HTTP_REQUEST_TIMEOUT_MS',
    60_000,
    'a request (headers and body) taking longer to arrive gets 408 and its connection is closed',
  ),
  keepAliveTimeoutMs: ms(
    'RETAIL_HTTP_KEEPALIVE_TIMEOUT_MS',
    5000,
    'an idle keep-alive connection is closed after this long',
  ),
  idleTimeoutMs: ms(
    'RETAIL_HTTP_IDLE_TIMEOUT_MS',
    30_000,
    'a connection on which nothing moves for this long (e.g. a stalled upload) is closed',
  ),
  maxConnections: {
    type: 'int',
    env: 'RETAIL_HTTP_MAX_CONNECTIONS',
    default: 256,
    min: 1,
    max: 100_000,
    doc: 'open connections per server; further ones are closed at once',
  },
  maxInflightBytes: {
    type: 'int',
    env: 'RETAIL_HTTP_MAX_INFLIGHT_BYTES',
    default: 64 * 1024 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024 * 1024,
    doc: 'request body bytes all requests of a server may have in flight together (declared Content-Length, or the body limit for a chunked upload); above it: 429 OVERLOADED + Retry-After',
  },
  sessionTtlSeconds: {
    type: 'int',
    env: 'RETAIL_SESSION_TTL_SECONDS',
    default: 12 * 3600,
    min: 60,
    max: 30 * 24 * 3600,
    doc: 'lifetime of a control panel session (the cookie a sign-in with a token gives)',
  },
} as const satisfies Schema;

export type HttpConfig = ConfigOf<typeof HTTP_SCHEMA>;

export const resolveHttpConfig = configResolver('http', HTTP_SCHEMA);
