/**
 * The Host allowlist against DNS rebinding: a page on evil.example whose name is made to resolve
 * to 127.0.0.1 reaches our port with `Host: evil.example:<port>`, so a request is served only when
 * its Host names an allowed host (loopback names by default) with the server's own port.
 */

export class HostAllowlist {
  private readonly any: boolean;
  private readonly names: Set<string>;

  /** `list`: comma-separated host names (`[::1]` for IPv6), or `*` for no check. */
  constructor(list: string) {
    const items = list
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    this.any = items.includes('*');
    this.names = new Set(items);
  }

  /** Whether `host` (the Host header) is an allowed name with `port` (the server's port). */
  allows(host: string | undefined, port: number): boolean {
    if (this.any) return true;
    if (!host) return false;
    const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(host.trim().toLowerCase());
    if (!m) return false;
    const name = (m[1] ?? '').replace(/\.$/, '');
    const given = m[2] === undefined ? 80 : Number(m[2]);
    return given === port && this.names.has(name);
  }
}
