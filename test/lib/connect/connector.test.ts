import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apicurioCoreUrl,
  fillTemplate,
  jdbcTarget,
  passwordKey,
  renderConnector,
  resolveConnectOptions,
  storeSecret,
  tableSql,
} from '../../../lib/connect/connector.js';
import { SALE_EVENT_FIELDS } from '../../../lib/contracts/event/schema.js';
import { projectRoot } from '../../../stack/paths.js';

const root = projectRoot();
const template = readFileSync(join(root, 'connect-config', 'sales-raw-jdbc-sink.json'), 'utf8');

describe('jdbcTarget', () => {
  it('turns DATABASE_URL into a JDBC URL, a user and a decoded password', () => {
    const t = jdbcTarget('postgres://retail:p%40ss%3Aw@127.0.0.1:5433/retail');
    expect(t.jdbcUrl).toBe(
      'jdbc:postgresql://127.0.0.1:5433/retail?reWriteBatchedInserts=true&stringtype=unspecified',
    );
    expect(t.user).toBe('retail');
    expect(t.password).toBe('p@ss:w');
    expect(jdbcTarget('postgresql://u:p@db/x').jdbcUrl).toMatch(/^jdbc:postgresql:\/\/db:5432\/x\?/);
  });

  it('keeps every URL parameter (TLS settings included), with pgjdbc’s names where they differ', () => {
    const t = jdbcTarget(
      'postgres://c:pw@db.local:5432/retail?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x&stringtype=varchar',
    );
    const params = new URL(t.jdbcUrl.replace(/^jdbc:/, '')).searchParams;
    expect(Object.fromEntries(params)).toEqual({
      reWriteBatchedInserts: 'true',
      stringtype: 'varchar',
      sslmode: 'verify-full',
      sslrootcert: '/etc/ca.pem',
      ApplicationName: 'x',
    });
    expect(t.jdbcUrl).not.toContain('pw');
  });

  it('rejects what is not a Postgres URL, without echoing it', () => {
    expect(() => jdbcTarget('mysql://u:secret@h/db')).toThrow(/must be postgres:\/\/…, got mysql:/);
    expect(() => jdbcTarget('mysql://u:secret@h/db')).not.toThrow(/secret/);
    expect(() => jdbcTarget('not a url')).toThrow(/CONFIG_INVALID|not a URL/);
  });
});

describe('apicurioCoreUrl', () => {
  it('derives the v2 core API from the ccompat URL', () => {
    expect(apicurioCoreUrl('http://127.0.0.1:8081/apis/ccompat/v7')).toBe(
      'http://127.0.0.1:8081/apis/registry/v2',
    );
    expect(apicurioCoreUrl('http://r:8080/apis/ccompat/v6/')).toBe('http://r:8080/apis/registry/v2');
  });
  it('refuses a registry that is not Apicurio’s ccompat API', () => {
    expect(() => apicurioCoreUrl('http://confluent:8081')).toThrow(/CONNECT_REGISTRY_URL|cannot derive/);
  });
});

describe('resolveConnectOptions', () => {
  it('has documented defaults', () => {
    const o = resolveConnectOptions({}, {});
    expect(o).toMatchObject({
      name: 'sales-raw-jdbc-sink',
      topic: 'retail.sales.v1',
      table: 'sales_raw_connect',
      tasks: 1,
      connectUrl: 'http://127.0.0.1:8083',
    });
  });
  it('rejects unknown keys, unsafe table names and bad numbers', () => {
    expect(() => resolveConnectOptions({ tabel: 'x' }, {})).toThrow(/unknown config key "tabel"/);
    expect(() => resolveConnectOptions({ table: 'x; drop table y' }, {})).toThrow(
      /table "x; drop table y" must match/,
    );
    expect(() => resolveConnectOptions({ tasks: '0' }, {})).toThrow(/tasks must be ≥ 1/);
    expect(() => resolveConnectOptions({ topic: 'a b' }, {})).toThrow(/not a legal Kafka topic name/);
  });
});

describe('the connector template', () => {
  const options = resolveConnectOptions({ topic: 't.1', table: 'tbl', tasks: 3, batchSize: 500 }, {});
  const spec = renderConnector(template, {
    options,
    target: { jdbcUrl: 'jdbc:postgresql://h:5432/d?x=1', user: 'retail' },
    registryUrl: 'http://127.0.0.1:8081/apis/registry/v2',
    passwordRef: '${file:/tmp/s.properties:k}',
  });

  it('fills every placeholder', () => {
    expect(JSON.stringify(spec)).not.toMatch(/\{\{/);
    expect(spec.name).toBe('sales-raw-jdbc-sink');
    expect(spec.config).toMatchObject({
      'tasks.max': '3',
      topics: 't.1',
      'collection.name.format': 'tbl',
      'batch.size': '500',
      'connection.password': '${file:/tmp/s.properties:k}',
      'connection.username': 'retail',
    });
  });

  it('reads Confluent framing with ids from the ccompat API, which are content ids', () => {
    // Apicurio 3's ccompat API hands out contentIds; with use-id=globalId the converter would
    // look up a different schema as soon as one content is registered under two subjects.
    expect(spec.config).toMatchObject({
      'value.converter': 'io.apicurio.registry.utils.converter.AvroConverter',
      'value.converter.apicurio.registry.as-confluent': 'true',
      'value.converter.apicurio.registry.use-id': 'contentId',
      'value.converter.apicurio.registry.headers.enabled': 'false',
    });
  });

  it('writes the same columns as sales_raw, idempotently (upsert on event_id)', () => {
    expect(spec.config).toMatchObject({
      'insert.mode': 'upsert',
      'primary.key.mode': 'record_value',
      'primary.key.fields': 'event_id',
      'schema.evolution': 'none',
      'transforms.eventTime.field': 'event_time',
      'transforms.kafkaMeta.offset.field': 'kafka_offset',
    });
    const ddl = tableSql(readFileSync(join(root, 'connect-config', 'sales_raw_connect.sql'), 'utf8'), 'tbl');
    // Every field of the event, then the Kafka position and ingest time, as the sink's own table.
    for (const column of [
      ...SALE_EVENT_FIELDS,
      'kafka_partition',
      'kafka_offset',
      'kafka_timestamp',
      'ingested_at',
    ]) {
      expect(ddl).toMatch(new RegExp(`\\n\\s+${column}\\s`));
    }
  });

  it('JSON-escapes values and refuses a placeholder without a value', () => {
    const quoted = renderConnector(template, {
      options,
      target: { jdbcUrl: 'jdbc:postgresql://h/d', user: 'we"ird' },
      registryUrl: 'http://r/apis/registry/v2',
      passwordRef: 'x',
    });
    expect(quoted.config['connection.username']).toBe('we"ird');
    expect(() => fillTemplate('{{NOPE}}', {})).toThrow(/\{\{NOPE\}\} has no value/);
  });
});

describe('storeSecret', () => {
  it('keeps each connector’s password in a mode-600 properties file and returns a file reference', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'connect-secrets-')), 'secrets.properties');
    const ref = storeSecret(file, passwordKey('a'), 'pa:ss=w rd\\x');
    storeSecret(file, passwordKey('b'), 'other');
    expect(ref).toBe(`\${file:${file}:a.connection.password}`);
    const text = readFileSync(file, 'utf8');
    // Java properties escaping, so the worker's FileConfigProvider reads the exact value back.
    expect(text).toContain('a.connection.password=pa\\:ss\\=w\\ rd\\\\x');
    expect(text).toContain('b.connection.password=other');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    storeSecret(file, passwordKey('a'), 'new');
    expect(readFileSync(file, 'utf8').match(/a\.connection\.password=/g)).toHaveLength(1);
  });
});
