import { describe, expect, it } from 'vitest';
import { SCRAPE_INTERVAL_SECONDS, substituteVariables } from '../../../api/dashboards/variables.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../../stack/paths.js';

describe('Grafana template variables in PromQL', () => {
  const window = { rangeSeconds: 1800, stepSeconds: 15 };

  it('$__rate_interval holds at least four scrapes and one step more than the interval', () => {
    expect(substituteVariables('rate(x[$__rate_interval])', window)).toBe('rate(x[20s])');
    expect(substituteVariables('rate(x[$__rate_interval])', { rangeSeconds: 86400, stepSeconds: 360 })).toBe(
      'rate(x[365s])',
    );
  });

  it('$__interval is the step, never below the scrape interval; ranges in their three spellings', () => {
    expect(substituteVariables('avg_over_time(x[$__interval])', { rangeSeconds: 300, stepSeconds: 1 })).toBe(
      'avg_over_time(x[5s])',
    );
    expect(substituteVariables('increase(x[${__range}]) / $__range_s * 1000 / $__range_ms', window)).toBe(
      'increase(x[1800s]) / 1800 * 1000 / 1800000',
    );
    expect(substituteVariables('x[[[__interval]]] $__interval_ms', window)).toBe('x[15s] 15000');
  });

  it('dashboard variables: one value, several values or All as a regex; unknown names left for Prometheus to name', () => {
    const vars = [
      { name: 'sink', current: { value: 'postgres' } },
      { name: 'group', current: { value: ['a', 'b'] } },
      { name: 'job', current: { value: '$__all' } },
      { name: 'instance' },
    ];
    expect(
      substituteVariables(
        'x{sink="$sink",group=~"${group}",job=~"$job",instance=~"$instance"} $other',
        window,
        vars,
      ),
    ).toBe('x{sink="postgres",group=~"a|b",job=~".*",instance=~".*"} $other');
  });

  it('the scrape interval is the one Prometheus is configured with', () => {
    const config = parse(readFileSync(join(projectRoot(), 'dashboards', 'prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string };
    };
    expect(config.global.scrape_interval).toBe(`${SCRAPE_INTERVAL_SECONDS}s`);
  });
});
