import { describe, expect, it } from 'vitest';
import type { StackContext } from '../../../stack/component.js';
import { clickhouse } from '../../../stack/components/clickhouse.js';
import { stackPaths } from '../../../stack/paths.js';

const ctx: StackContext = {
  paths: stackPaths('/srv/retail'),
  secrets: { CLICKHOUSE_PASSWORD: 'pw-0123456789abcdef' },
  progress: () => undefined,
};

describe('the native ClickHouse component', () => {
  it('writes CLICKHOUSE_URL with the generated credentials to .stack/env', () => {
    expect(clickhouse.env(ctx)).toEqual({
      CLICKHOUSE_URL: 'http://default:pw-0123456789abcdef@127.0.0.1:8123',
    });
  });

  it('passes the password in the environment, never on the command line, and owns data/clickhouse', () => {
    const spec = clickhouse.launch(ctx);
    expect(spec.args.join(' ')).not.toContain('pw-0123456789abcdef');
    expect(spec.args.slice(-2)).toEqual(['clickhouse', 'serve']);
    expect(spec.env?.['CLICKHOUSE_SERVER_PASSWORD']).toBe('pw-0123456789abcdef');
    expect(spec.env?.['CLICKHOUSE_SERVER_DATA_DIR']).toBe(`${ctx.paths.data}/clickhouse`);
    expect(clickhouse.ports).toEqual([8123]);
  });
});
