/** The Host allowlist against DNS rebinding. */
import { describe, expect, it } from 'vitest';
import { HostAllowlist } from '../../../lib/http/host.js';

describe('HostAllowlist', () => {
  const loopback = new HostAllowlist('127.0.0.1,localhost,[::1]');

  it('allows the loopback names with the server’s port only', () => {
    for (const h of ['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080', 'localhost.:8080'])
      expect(loopback.allows(h, 8080), h).toBe(true);
    for (const h of ['127.0.0.1:8081', 'localhost', 'evil.example:8080', '127.0.0.1.evil.example:8080', ''])
      expect(loopback.allows(h, 8080), h).toBe(false);
    expect(loopback.allows(undefined, 8080)).toBe(false);
    expect(loopback.allows('localhost', 80)).toBe(true);
  });

  it('refuses malformed Host values', () => {
    for (const h of ['localhost:8080:1', 'local host:8080', '[::1', 'localhost:80x'])
      expect(loopback.allows(h, 8080), h).toBe(false);
  });

  it('takes configured names, and * turns the check off', () => {
    expect(new HostAllowlist('serve, 127.0.0.1').allows('serve:8080', 8080)).toBe(true);
    expect(new HostAllowlist('*').allows('anything:1', 8080)).toBe(true);
  });
});
