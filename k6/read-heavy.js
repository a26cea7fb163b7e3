// Read-heavy: the key queries of the HTTP API at 200 requests/s (RPS) for 1 minute (DURATION).
// Threshold: the SLO p95 < 300 ms (the benchmark reports the measured p95 against its 50 ms target).
import http from 'k6/http';
import { check } from 'k6';

const BASE = __ENV.PIPELINE_URL || 'http://127.0.0.1:8080';
// The read token (scripts/load.sh takes it from .stack/env, where `make up` writes it).
const HEADERS = { authorization: `Bearer ${__ENV.RETAIL_TOKEN_READ || ''}` };
const RPS = Number(__ENV.RPS || 200);
const STORES = Number(__ENV.STORES || 50);
// SOURCE=clickhouse answers every query from ClickHouse (the API's ?source=); default Postgres.
const SOURCE = __ENV.SOURCE || '';
const src = (url) => (SOURCE ? `${url}${url.includes('?') ? '&' : '?'}source=${SOURCE}` : url);

export const options = {
  scenarios: {
    reads: {
      executor: 'constant-arrival-rate',
      rate: RPS,
      timeUnit: '1s',
      duration: __ENV.DURATION || '1m',
      preAllocatedVUs: 50,
      maxVUs: 400,
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<300'],
    'http_req_duration{name:hourly}': ['p(95)<300'],
    'http_req_duration{name:top-skus}': ['p(95)<300'],
    'http_req_duration{name:rolling}': ['p(95)<300'],
    'http_req_duration{name:events}': ['p(95)<300'],
  },
};

function store() {
  return `S${String(1 + Math.floor(Math.random() * STORES)).padStart(3, '0')}`;
}

export default function () {
  const now = new Date();
  const hour = new Date(Math.floor(now.getTime() / 3600000) * 3600000 - 3600000).toISOString();
  const day = now.toISOString().slice(0, 10);
  const r = Math.random();
  let res;
  if (r < 0.3)
    res = http.get(src(`${BASE}/v1/stores/${store()}/hourly?date=${day}`), {
      headers: HEADERS,
      tags: { name: 'hourly' },
    });
  else if (r < 0.5)
    res = http.get(src(`${BASE}/v1/top-skus?hour=${encodeURIComponent(hour)}`), {
      headers: HEADERS,
      tags: { name: 'top-skus' },
    });
  else if (r < 0.8)
    res = http.get(src(`${BASE}/v1/stores/${store()}/rolling`), {
      headers: HEADERS,
      tags: { name: 'rolling' },
    });
  else {
    const to = now.toISOString();
    const from = new Date(now.getTime() - 600000).toISOString();
    res = http.get(src(`${BASE}/v1/stores/${store()}/events?from=${from}&to=${to}&limit=100`), {
      headers: HEADERS,
      tags: { name: 'events' },
    });
  }
  check(res, { 'status 200': (x) => x.status === 200 });
}
