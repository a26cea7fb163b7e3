import { describe, expect, it } from 'vitest';
import type { StackContext } from '../../../stack/component.js';
import { clickhouse } from '../../../stack/components/clickhouse.js';
import { stackPaths } from '../../../stack/paths.js';

const ctx: StackContext = {
  paths: stackPaths('/srv/retail'),
  secrets: {
    CLICKHOUSE_PASSWORD: 'pw-0123456789abcdef',
    CLICKHOUSE_SINK_PASSWORD: 'pw-sink',
    CLICKHOUSE_AGG_SINK_PASSWORD: 'pw-agg',
    CLICKHOUSE_READER_PASSWORD: 'pw-reader',
  },
  progress: () => undefined,
};

describe('the native ClickHouse component', () => {
  it('writes the owner’s and each runtime user’s URL with the generated credentials to .stack/env', () => {
    expect(clickhouse.env(ctx)).toEqual({
      CLICKHOUSE_URL: 'http://default:pw-0123456789abcdef@127.0.0.1:8123',
      CLICKHOUSE_SINK_URL: 'http://retail_sink:pw-sink@127.0.0.1:8123',
      CLICKHOUSE_AGG_SINK_URL: 'http://retail_agg_sink:pw-agg@127.0.0.1:8123',
      QUERY_CLICKHOUSE_URL: 'http://retail_reader:pw-reader@127.0.0.1:8123',
    });
  });

  it('passes the password in the environment, never on the command line, and owns data/clickhouse', () => {
    const spec = clickhouse.launch(ctx);
    expect(spec.args.join(' ')).not.toContain('pw-0123456789abcdef');
    expect(spec.args.slice(-2)).toEqual(['clickhouse', 'serve']);
    expect(spec.env?.['CLICKHOUSE_SERVER_PASSWORD']).toBe('pw-0123456789abcdef');
    expect(spec.env?.['CLICKHOUSE_SERVER_SINK_PASSWORD']).toBe('pw-sink');
    expect(spec.env?.['CLICKHOUSE_SERVER_AGG_SINK_PASSWORD']).toBe('pw-agg');
    expect(spec.env?.['CLICKHOUSE_SERVER_READER_PASSWORD']).toBe('pw-reader');
    expect(spec.env?.['CLICKHOUSE_SERVER_DATA_DIR']).toBe(`${ctx.paths.data}/clickhouse`);
    expect(clickhouse.ports).toEqual([8123]);
  });
});
