/** A Connect URL's credentials become a Basic header and leave the URL (lib/connect/rest.ts). */
import { describe, expect, it } from 'vitest';
import { connectEndpoint } from '../../../lib/connect/rest.js';

describe('connectEndpoint', () => {
  it('moves user:password into an Authorization header', () => {
    const { base, headers } = connectEndpoint('http://connect:p%40ss@127.0.0.1:8083/');
    expect(base).toBe('http://127.0.0.1:8083');
    expect(headers).toEqual({ authorization: `Basic ${Buffer.from('connect:p@ss').toString('base64')}` });
  });

  it('leaves a URL without credentials as it is, with no header', () => {
    expect(connectEndpoint('http://127.0.0.1:8083')).toEqual({ base: 'http://127.0.0.1:8083', headers: {} });
  });
});
