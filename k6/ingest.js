// Shared body of the ingest profiles: POST /v1/events with 100-event batches at a constant
// arrival rate, then the SLO check against Prometheus. Bounded in time; stops by itself.
import http from 'k6/http';
import { check } from 'k6';
import { batch } from './lib/events.js';
import { checkSlo, sloThresholds } from './lib/slo.js';

const BASE = __ENV.PIPELINE_URL || 'http://127.0.0.1:8080';
const BATCH = Number(__ENV.BATCH || 100);
// The ingest token (scripts/load.sh takes it from .stack/env, where `make up` writes it).
const TOKEN = __ENV.RETAIL_TOKEN_INGEST || '';

export function ingestOptions(requestsPerSecond, duration) {
  return {
    scenarios: {
      ingest: {
        executor: 'constant-arrival-rate',
        rate: requestsPerSecond,
        timeUnit: '1s',
        duration,
        preAllocatedVUs: Math.max(10, requestsPerSecond),
        maxVUs: Math.max(50, requestsPerSecond * 4),
        exec: 'ingest',
      },
      slo: {
        executor: 'per-vu-iterations',
        vus: 1,
        iterations: 1,
        startTime: duration,
        exec: 'slo',
        maxDuration: '30s',
      },
    },
    thresholds: {
      'http_req_failed{scenario:ingest}': ['rate<0.01'],
      'http_req_duration{scenario:ingest}': ['p(95)<300'],
      ...sloThresholds,
    },
  };
}

export function ingest() {
  const res = http.post(`${BASE}/v1/events`, JSON.stringify(batch(BATCH)), {
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    tags: { name: 'POST /v1/events' },
  });
  check(res, { 'accepted (202)': (r) => r.status === 202 });
}

export function slo() {
  checkSlo('1m');
}
