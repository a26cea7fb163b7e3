// Soak: a steady ingest rate for a set time (default 10 minutes at 2× the base rate), then the
// SLO check. `make load PROFILE=soak DURATION=30m BASE_RPS=20`
import { ingestOptions, ingest, slo } from './ingest.js';

const BASE_RPS = Number(__ENV.BASE_RPS || 10);
export const options = ingestOptions(BASE_RPS * 2, __ENV.DURATION || '10m');
export { ingest, slo };
