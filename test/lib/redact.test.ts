import { describe, expect, it } from 'vitest';
import { redact } from '../../lib/redact.js';
import { createLogger } from '../../lib/logger.js';

describe('redact', () => {
  it('hides passwords in URLs and key=value pairs', () => {
    expect(redact('postgres://retail:s3cr3t@127.0.0.1:5432/retail')).toBe(
      'postgres://retail:***@127.0.0.1:5432/retail',
    );
    expect(redact('connect password=hunter2 host=x')).toBe('connect password=*** host=x');
    expect(redact('http://127.0.0.1:8081/apis')).toBe('http://127.0.0.1:8081/apis');
  });

  it('the logger never writes a secret, even inside fields and errors', () => {
    const lines: string[] = [];
    const log = createLogger('t', { write: (l) => lines.push(l), level: 'debug' });
    log.error('could not connect', {
      url: 'postgres://u:topsecret@h/db',
      err: new Error('auth failed for postgres://u:topsecret@h'),
    });
    expect(lines.join('\n')).not.toContain('topsecret');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'error', component: 't', msg: 'could not connect' });
  });
});
