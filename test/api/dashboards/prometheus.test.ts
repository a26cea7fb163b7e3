import { describe, expect, it } from 'vitest';
import { forwardQuery, prometheusParams } from '../../../api/dashboards/prometheus.js';
import { HttpError } from '../../../api/http.js';

const url = (query: Record<string, string>) => new URL(`http://x/?${new URLSearchParams(query).toString()}`);

describe('dashboard queries forwarded to Prometheus', () => {
  it('a range query keeps its window and gets its variables substituted', () => {
    const p = prometheusParams(
      'query_range',
      url({ query: 'rate(x[$__rate_interval])', start: '1000', end: '2800', step: '15' }),
    );
    expect(Object.fromEntries(p)).toEqual({ query: 'rate(x[20s])', start: '1000', end: '2800', step: '15' });
  });

  it('an instant query defaults its time to now and its range to 30 min', () => {
    const p = prometheusParams('query', url({ query: 'increase(x[$__range])' }), [], 5000);
    expect(Object.fromEntries(p)).toEqual({ query: 'increase(x[1800s])', time: '5000' });
  });

  it.each([
    [{ query: '', start: '1', end: '2', step: '1' }, /query must be PromQL/],
    [{ query: 'x', start: '1', end: '2' }, /step is required/],
    [{ query: 'x', start: 'yesterday', end: '2', step: '1' }, /start must be a number/],
    [{ query: 'x', start: '10', end: '5', step: '1' }, /end must be after start/],
    [{ query: 'x', start: '0', end: '100000', step: '1' }, /at most 11000 points/],
    [{ query: 'x'.repeat(9000), start: '1', end: '2', step: '1' }, /1 to 8192 characters/],
  ])('refuses %j with a 400 naming the parameter', (query, message) => {
    let error: unknown;
    try {
      prometheusParams('query_range', url(query));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).message).toMatch(message);
  });

  it('Prometheus unreachable: 503 PROMETHEUS_UNAVAILABLE, retriable, naming the address', async () => {
    const err = (await forwardQuery(
      'http://127.0.0.1:9',
      'query',
      new URLSearchParams({ query: 'up' }),
    ).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('PROMETHEUS_UNAVAILABLE');
    expect(err.retriable).toBe(true);
    expect(err.message).toContain('http://127.0.0.1:9');
  });
});
