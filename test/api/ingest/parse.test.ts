import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../../api/ingest/parse.js';
import { HttpError } from '../../../api/http.js';

function refusal(body: Buffer): HttpError {
  try {
    parseEvents(body, 'application/json');
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('the body was accepted');
}

describe('parseEvents', () => {
  it('decodes UTF-8 text, multi-byte characters included', () => {
    const body = Buffer.from(JSON.stringify([{ sku: '店-🛒' }]), 'utf8');
    expect(parseEvents(body, 'application/json').items).toEqual([{ sku: '店-🛒' }]);
  });

  it.each([
    ['a lone continuation byte', [0x80], 2],
    ['a truncated 3-byte sequence', [0xe5, 0xba], 2],
    ['an overlong encoding of "/"', [0xc0, 0xaf], 2],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 2],
    ['a byte that never occurs', [0xff], 2],
  ])('refuses a body with %s with 400 MALFORMED_BODY naming the offset', (_what, bytes, offset) => {
    const body = Buffer.concat([Buffer.from('["'), Buffer.from(bytes), Buffer.from('"]')]);
    const err = refusal(body);
    expect(err.status).toBe(400);
    expect(err.code).toBe('MALFORMED_BODY');
    expect(err.message).toBe(`the body is not valid UTF-8 (first invalid byte at offset ${offset})`);
  });
});
