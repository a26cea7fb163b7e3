/** API tokens: hashed, compared in constant time, two per scope, validated at start-up. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resolveHttpConfig } from '../../../lib/config/index.js';
import { bearerToken, generateToken, TokenStore } from '../../../lib/http/tokens.js';

const store = (env: Record<string, string>) => new TokenStore(resolveHttpConfig({}, env));

describe('TokenStore', () => {
  it('knows each scope’s tokens (plain or sha256:) and nothing else', () => {
    const [ingest, read, next] = [generateToken(), generateToken(), generateToken()];
    const hashed = `sha256:${createHash('sha256').update(next).digest('hex')}`;
    const s = store({ RETAIL_TOKEN_INGEST: ingest, RETAIL_TOKEN_READ: `${read}, ${hashed}` });
    expect(s.verify(ingest)?.scope).toBe('ingest');
    expect(s.verify(read)?.scope).toBe('read');
    expect(s.verify(next)?.scope).toBe('read');
    expect(s.verify(read)?.name).not.toBe(s.verify(next)?.name);
    expect(s.verify(hashed)).toBeUndefined(); // the hash is not a token
    expect(s.verify(generateToken())).toBeUndefined();
    expect(s.verify('')).toBeUndefined();
    expect(s.configured('control')).toBe(false);
    expect(s.configured('read')).toBe(true);
  });

  it('an identity names the scope and a fingerprint, never the token', () => {
    const token = generateToken();
    const id = store({ RETAIL_TOKEN_CONTROL: token }).verify(token);
    expect(id?.name).toMatch(/^control:[0-9a-f]{8}$/);
    expect(id?.name).not.toContain(token.slice(0, 8));
  });

  it('refuses short tokens and more than two per scope at start-up, without echoing them', () => {
    expect(() => store({ RETAIL_TOKEN_INGEST: 'short-secret' })).toThrow(/shorter than 32/);
    expect(() => store({ RETAIL_TOKEN_INGEST: 'short-secret' })).not.toThrow(/short-secret/);
    const three = [generateToken(), generateToken(), generateToken()].join(',');
    expect(() => store({ RETAIL_TOKEN_INGEST: three })).toThrow(/at most 2/);
  });
});

describe('bearerToken', () => {
  it('reads only the Bearer scheme', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
