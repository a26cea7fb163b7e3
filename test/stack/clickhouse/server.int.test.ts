/**
 * The native stack's ClickHouse HTTP interface, against a real `retail-etl clickhouse serve` on its
 * own directory and port: what @clickhouse/client and curl send, and the answers clickhouse-server
 * gives (codes, statuses, headers), authentication, compression, one process per directory, a
 * taken port.
 */
import { createClient } from '@clickhouse/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThrowawayClickhouse } from '../../helpers/throwaway-clickhouse.js';

describe('clickhouse serve: the HTTP interface over chdb', () => {
  let ch: ThrowawayClickhouse;
  let client: ClickHouseClient;
  let base: string;
  const auth = () => ({ 'X-ClickHouse-User': 'default', 'X-ClickHouse-Key': ch.password });
  const post = (params: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${base}/?${params}`, { method: 'POST', body, headers: { ...auth(), ...headers } });

  beforeAll(async () => {
    ch = await ThrowawayClickhouse.create();
    await ch.start();
    base = `http://127.0.0.1:${ch.port}`;
    client = createClient({ url: ch.url, compression: { request: true, response: true } });
  });
  afterAll(async () => {
    await client?.close();
    await ch?.remove();
  });

  it('/ping answers Ok. without credentials', async () => {
    const res = await fetch(`${base}/ping`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Ok.\n');
  });

  it('refuses missing or wrong credentials with 401 and code 516; basic, header and URL credentials pass', async () => {
    const wrong = `Basic ${Buffer.from('default:nope').toString('base64')}`;
    const attempts: Record<string, string>[] = [{}, { Authorization: wrong }];
    for (const headers of attempts) {
      const res = await fetch(`${base}/?query=SELECT%201`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-clickhouse-exception-code')).toBe('516');
      expect(await res.text()).toMatch(/^Code: 516\. DB::Exception: default: Authentication failed/);
    }
    const basic = `Basic ${Buffer.from(`default:${ch.password}`).toString('base64')}`;
    expect(
      await (await fetch(`${base}/?query=SELECT%201`, { headers: { Authorization: basic } })).text(),
    ).toBe('1\n');
    expect(await (await fetch(`${base}/?query=SELECT%202`, { headers: auth() })).text()).toBe('2\n');
    const viaUrl = await fetch(`${base}/?query=SELECT%203&user=default&password=${ch.password}`);
    expect(await viaUrl.text()).toBe('3\n');
  });

  it('inserts through @clickhouse/client (gzip body) once per dedup token, and queries with param_ values', async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS t1' });
    await client.command({
      query: `CREATE TABLE t1.sales (id UInt32, note String, tags Array(String))
              ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
    });
    const values = Array.from({ length: 1000 }, (_, i) => ({
      id: i,
      note: `n\t'${i}'`,
      tags: ['a', `b${i % 3}`],
    }));
    for (let i = 0; i < 2; i++)
      await client.insert({
        table: 't1.sales',
        values,
        format: 'JSONEachRow',
        clickhouse_settings: { insert_deduplicate: 1, insert_deduplication_token: 'tok-1' },
      });
    const rs = await client.query({
      query:
        'SELECT count() n, sum(id) s FROM sales WHERE note != {skip:String} AND has({tags:Array(String)}, tags[2])',
      query_params: { skip: "n\t'0'", tags: ['b0', 'b1', 'b2'] },
      format: 'JSONEachRow',
      clickhouse_settings: { database: 't1' },
    });
    expect(await rs.json()).toEqual([{ n: '999', s: String((999 * 1000) / 2) }]);
    const other = createClient({ url: ch.url, database: 't1' });
    try {
      const one = await other.query({ query: 'SELECT note FROM sales WHERE id = 7', format: 'JSONEachRow' });
      expect(await one.json()).toEqual([{ note: "n\t'7'" }]);
    } finally {
      await other.close();
    }
  });

  it('answers curl shapes: the query in the URL or the body, INSERT data after the URL query, FORMAT', async () => {
    expect(
      await (await post('', 'CREATE TABLE t1.kv (k String, v Int64) ENGINE = MergeTree ORDER BY k')).text(),
    ).toBe('');
    const ins = await post('query=INSERT%20INTO%20t1.kv%20FORMAT%20CSV', 'a,1\nb,2\n');
    expect(ins.status).toBe(200);
    expect(JSON.parse(ins.headers.get('x-clickhouse-summary') ?? '{}')).toMatchObject({
      elapsed_ns: expect.any(String),
    });
    const get = await fetch(
      `${base}/?query=${encodeURIComponent('SELECT k, v FROM t1.kv ORDER BY k FORMAT JSONEachRow')}`,
      {
        headers: auth(),
      },
    );
    expect(get.headers.get('x-clickhouse-format')).toBe('JSONEachRow');
    expect(await get.text()).toBe('{"k":"a","v":"1"}\n{"k":"b","v":"2"}\n');
    const tsv = await post('database=t1&default_format=TabSeparated', 'SELECT sum(v) FROM kv');
    expect(await tsv.text()).toBe('3\n');
  });

  it('decompresses gzip bodies and compresses answers when asked', async () => {
    const res = await post('enable_http_compression=1', gzipSync('SELECT 42'), {
      'Content-Encoding': 'gzip',
      'Accept-Encoding': 'gzip',
    });
    // fetch decodes Content-Encoding itself; the header says the wire carried gzip.
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toBe('42\n');
    const raw = await new Promise<Buffer>((resolve, reject) => {
      void import('node:http').then(({ request }) => {
        const req = request(
          `${base}/?enable_http_compression=1`,
          { method: 'POST', headers: { ...auth(), 'Accept-Encoding': 'gzip' } },
          (r) => {
            const chunks: Buffer[] = [];
            r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
          },
        );
        req.on('error', reject);
        req.end('SELECT 43');
      });
    });
    expect(gunzipSync(raw).toString()).toBe('43\n');
  });

  it('answers errors as ClickHouse does: 400 syntax, 404 unknown table, 400 read-only GET', async () => {
    const syntax = await post('', 'SELEC 1');
    expect(syntax.status).toBe(400);
    expect(syntax.headers.get('x-clickhouse-exception-code')).toBe('62');
    expect(await syntax.text()).toMatch(
      /^Code: 62\. DB::Exception: Syntax error.*\(SYNTAX_ERROR\) \(version [\d.]+\)\n$/s,
    );
    const unknown = await post('', 'SELECT * FROM t1.nope');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-clickhouse-exception-code')).toBe('60');
    const readonly = await fetch(`${base}/?query=${encodeURIComponent('DROP TABLE t1.kv')}`, {
      headers: auth(),
    });
    expect(readonly.status).toBe(400);
    expect(readonly.headers.get('x-clickhouse-exception-code')).toBe('164');
    await expect(client.query({ query: 'SELEC 1' })).rejects.toMatchObject({
      code: '62',
      type: 'SYNTAX_ERROR',
    });
  });

  it('runs reads concurrently on their own connections: each gets its own param_ values, none leaks', async () => {
    const answers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const rs = await client.query({
          query: 'SELECT {v:String} AS v, {n:UInt32} AS n, {a:Array(String)} AS a',
          query_params: { v: `v${i}\t'${i}'`, n: i, a: [`x${i}`] },
          format: 'JSONEachRow',
        });
        return (await rs.json<{ v: string; n: number; a: string[] }>())[0];
      }),
    );
    expect(answers).toEqual(answers.map((_, i) => ({ v: `v${i}\t'${i}'`, n: i, a: [`x${i}`] })));
    // A value bound by an earlier read is not there for a later query that lacks it: 456, as a server.
    for (let i = 0; i < 3; i++) {
      const missing = await post('', 'SELECT {v:String} AS v');
      expect(missing.headers.get('x-clickhouse-exception-code')).toBe('456');
    }
  });

  it('keeps no setting or database from one request to the next', async () => {
    await post('max_threads=3&database=t1', 'SELECT 1');
    const after = await post('', "SELECT getSetting('max_threads') = 3, currentDatabase()");
    expect(await after.text()).toBe('0\tdefault\n');
  });

  it('a second process on the same directory fails with one line naming it', async () => {
    const second = ch.spawn();
    expect(await second.exit(60_000)).not.toBe(0);
    expect(second.output()).toMatch(
      new RegExp(
        `COMPONENT_START_FAILED: clickhouse: data directory ${ch.dir} is already open in process \\d+`,
      ),
    );
  });

  it('a taken port stops start-up naming the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retail-ch-port-'));
    try {
      const second = ch.spawn(dir);
      expect(await second.exit(60_000)).not.toBe(0);
      expect(second.output()).toContain(
        `PORT_IN_USE: clickhouse: port 127.0.0.1:${ch.port} is already in use`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
