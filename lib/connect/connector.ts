/**
 * The Debezium JDBC sink connector for the comparison (docs/connect.md): its options, the
 * rendering of connect-config/sales-raw-jdbc-sink.json and sales_raw_connect.sql, and the secret
 * file the worker reads the database password from — so the password never enters the connector
 * config, the worker's config topic, the REST API or any output.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { environment, resolveConfig } from '../config/index.js';
import type { ConfigOf } from '../config/index.js';
import { EtlError } from '../errors.js';
import { TOPICS } from '../contracts/topics.js';

export const CONNECT_SCHEMA = {
  name: { type: 'string', default: 'sales-raw-jdbc-sink', doc: 'connector name' },
  topic: { type: 'string', default: TOPICS.sales, doc: 'topic the connector drains' },
  table: {
    type: 'string',
    default: 'sales_raw_connect',
    doc: 'Postgres table it writes (created if missing)',
  },
  tasks: { type: 'int', min: 1, max: 64, default: 1, doc: 'tasks.max: parallel sink tasks' },
  batchSize: {
    type: 'int',
    min: 1,
    max: 100_000,
    default: 2000,
    doc: 'rows per JDBC batch (records per consumer poll: the worker’s consumer.max.poll.records, 2000; connectors may not override it)',
  },
  dlqTopic: {
    type: 'string',
    default: 'retail.sales.connect-dlq',
    doc: "the connector's dead-letter topic (records the converter or a transform rejects)",
  },
  connectUrl: {
    type: 'string',
    env: 'KAFKA_CONNECT_URL',
    default: 'http://127.0.0.1:8083',
    doc: "the worker's REST API",
  },
  registryUrl: {
    type: 'string',
    env: 'CONNECT_REGISTRY_URL',
    doc: "Apicurio's core API for the converter (default: derived from SCHEMA_REGISTRY_URL)",
  },
} as const;

export type ConnectOptions = ConfigOf<typeof CONNECT_SCHEMA>;

export function resolveConnectOptions(
  explicit: Record<string, unknown>,
  env: NodeJS.ProcessEnv = environment(),
): ConnectOptions {
  const options = resolveConfig('connect', CONNECT_SCHEMA, explicit, env);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.table)) {
    throw new EtlError(
      'CONFIG_INVALID',
      `connect: table "${options.table}" must match ^[a-z_][a-z0-9_]{0,62}$`,
    );
  }
  for (const key of ['topic', 'dlqTopic'] as const) {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(options[key])) {
      throw new EtlError(
        'CONFIG_INVALID',
        `connect: ${key} "${options[key]}" is not a legal Kafka topic name`,
      );
    }
  }
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(options.name)) {
    throw new EtlError(
      'CONFIG_INVALID',
      `connect: name "${options.name}" may hold only letters, digits, . _ -`,
    );
  }
  return options;
}

export interface JdbcTarget {
  jdbcUrl: string;
  user: string;
  password: string;
}

/** libpq parameter names pgjdbc spells differently; every other parameter is passed as it is. */
const PGJDBC_NAMES: Record<string, string> = {
  application_name: 'ApplicationName',
  connect_timeout: 'connectTimeout',
  target_session_attrs: 'targetServerType',
};

/**
 * The connector's Postgres URL (postgres://user:password@host:port/db?params) as the JDBC sink
 * wants it. Every URL parameter is kept (sslmode, sslrootcert, … — TLS settings must reach the
 * driver); reWriteBatchedInserts turns a JDBC batch into multi-row INSERTs (pgjdbc's own advice
 * for bulk loads) and stringtype=unspecified lets Postgres cast the converter's strings to uuid,
 * unless the URL sets them itself.
 */
export function jdbcTarget(databaseUrl: string): JdbcTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new EtlError(
      'CONFIG_INVALID',
      'connect: DATABASE_URL is not a URL (postgres://user:password@host/db)',
    );
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new EtlError(
      'CONFIG_INVALID',
      `connect: DATABASE_URL must be postgres://…, got ${url.protocol}//…`,
    );
  }
  const database = url.pathname.replace(/^\//, '') || 'postgres';
  const port = url.port || '5432';
  const params = new URLSearchParams({ reWriteBatchedInserts: 'true', stringtype: 'unspecified' });
  for (const [key, value] of url.searchParams) {
    if (key === 'user' || key === 'password') continue;
    params.set(PGJDBC_NAMES[key] ?? key, value);
  }
  return {
    jdbcUrl: `jdbc:postgresql://${url.hostname}:${port}/${database}?${params.toString()}`,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/**
 * The converter reads ids through Apicurio's own v2 API; SCHEMA_REGISTRY_URL names its
 * Confluent-compatible API on the same server (…/apis/ccompat/v7).
 */
export function apicurioCoreUrl(schemaRegistryUrl: string): string {
  const match = /^(.*)\/apis\/ccompat\/v\d+\/?$/.exec(schemaRegistryUrl);
  if (!match?.[1]) {
    throw new EtlError(
      'CONFIG_INVALID',
      `connect: cannot derive Apicurio's core API from SCHEMA_REGISTRY_URL ${schemaRegistryUrl}`,
      { hint: 'set CONNECT_REGISTRY_URL to the registry’s /apis/registry/v2 URL' },
    );
  }
  return `${match[1]}/apis/registry/v2`;
}

/** Replace every {{NAME}} in a template; a placeholder without a value is an error. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_all, key: string) => {
    const value = values[key];
    if (value === undefined)
      throw new EtlError('CONFIG_INVALID', `connect: template placeholder {{${key}}} has no value`);
    return value;
  });
}

export interface ConnectorSpec {
  name: string;
  config: Record<string, string>;
}

export interface RenderInput {
  options: ConnectOptions;
  target: Omit<JdbcTarget, 'password'>;
  registryUrl: string;
  /** What connection.password becomes: a ${file:…} reference the worker resolves. */
  passwordRef: string;
}

export function renderConnector(template: string, input: RenderInput): ConnectorSpec {
  const { options } = input;
  // JSON-escape each value before it lands between the template's quotes.
  const values: Record<string, string> = Object.fromEntries(
    Object.entries({
      TASKS: String(options.tasks),
      TOPIC: options.topic,
      TABLE: options.table,
      BATCH_SIZE: String(options.batchSize),
      DLQ_TOPIC: options.dlqTopic,
      JDBC_URL: input.target.jdbcUrl,
      DATABASE_USER: input.target.user,
      DATABASE_PASSWORD: input.passwordRef,
      REGISTRY_URL: input.registryUrl,
    }).map(([k, v]) => [k, JSON.stringify(v).slice(1, -1)]),
  );
  const parsed = JSON.parse(fillTemplate(template, values)) as {
    name?: string;
    config?: Record<string, string>;
  };
  if (!parsed.config)
    throw new EtlError('CONFIG_INVALID', 'connect: the connector template has no "config" object');
  return { name: options.name, config: parsed.config };
}

export function tableSql(template: string, table: string): string {
  return fillTemplate(template, { TABLE: table });
}

/** Key of a connector's password in the worker's secrets file. */
export function passwordKey(connector: string): string {
  return `${connector}.connection.password`;
}

function escapeProperty(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/([:=#!\s])/g, '\\$1');
}

function unescapeProperty(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/**
 * Store `key=value` in the worker's secrets file (a Java properties file, mode 600) and return
 * the `${file:…}` reference to it.
 */
const SECRETS_HEADER = '# Kafka Connect secrets (retail-etl connect apply); never printed\n';

/** Create the connectors' secrets file (mode 600, no entries yet) unless it exists. */
export function ensureSecretsFile(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, SECRETS_HEADER, { mode: 0o600 });
}

export function storeSecret(file: string, key: string, value: string): string {
  const entries = new Map<string, string>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^((?:\\.|[^=\\])+)=(.*)$/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined)
        entries.set(unescapeProperty(m[1]), unescapeProperty(m[2]));
    }
  }
  entries.set(key, value);
  mkdirSync(dirname(file), { recursive: true });
  const body = [...entries].map(([k, v]) => `${escapeProperty(k)}=${escapeProperty(v)}`).join('\n');
  writeFileSync(file, `${SECRETS_HEADER}${body}\n`, {
    mode: 0o600,
  });
  chmodSync(file, 0o600);
  return `\${file:${file}:${key}}`;
}

export function connectConfigDir(root: string): string {
  return join(root, 'connect-config');
}
