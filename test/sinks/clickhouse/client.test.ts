import { describe, expect, it } from 'vitest';
import { compressRequests } from '../../../sinks/clickhouse/client.js';

describe('compressRequests', () => {
  it('gzips insert bodies to another machine, not over the loopback', () => {
    for (const url of [
      'http://127.0.0.1:8123',
      'http://u:p@127.0.0.2:8123/',
      'http://localhost:8123',
      'http://[::1]:8123',
    ])
      expect(compressRequests(url), url).toBe(false);
    for (const url of [
      'http://clickhouse:8123',
      'https://ch.example.com:8443',
      'http://10.0.0.5:8123',
      'not a url',
    ])
      expect(compressRequests(url), url).toBe(true);
  });
});
