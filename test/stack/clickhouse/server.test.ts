import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { credentials, httpStatusFor } from '../../../stack/clickhouse/server.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('clickhouse-server’s answers', () => {
  it('maps exception codes to its HTTP statuses', () => {
    expect(httpStatusFor(62)).toBe(400); // SYNTAX_ERROR
    expect(httpStatusFor(164)).toBe(400); // READONLY
    expect(httpStatusFor(60)).toBe(404); // UNKNOWN_TABLE
    expect(httpStatusFor(81)).toBe(404); // UNKNOWN_DATABASE
    expect(httpStatusFor(516)).toBe(401); // AUTHENTICATION_FAILED
    expect(httpStatusFor(252)).toBe(500); // TOO_MANY_PARTS
  });

  it('reads credentials from basic auth, then X-ClickHouse-User/Key, then the URL', () => {
    const url = new URL('http://h/?user=u3&password=p3');
    const basic = `Basic ${Buffer.from('u1:p:1').toString('base64')}`;
    expect(credentials(req({ authorization: basic, 'x-clickhouse-user': 'u2' }), url)).toEqual({
      user: 'u1',
      password: 'p:1',
    });
    expect(credentials(req({ 'x-clickhouse-user': 'u2', 'x-clickhouse-key': 'p2' }), url)).toEqual({
      user: 'u2',
      password: 'p2',
    });
    expect(credentials(req({}), url)).toEqual({ user: 'u3', password: 'p3' });
    expect(credentials(req({}), new URL('http://h/'))).toEqual({ user: 'default', password: '' });
  });
});
