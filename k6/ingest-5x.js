// Ingest at 5x the base rate: 50 requests/s × 100 events = 5000 events/s for ${DURATION||'2m'}.
// Fails (non-zero exit) when an HTTP or pipeline SLO is missed. `make load PROFILE=ingest-5x`
import { ingestOptions, ingest, slo } from './ingest.js';

const BASE_RPS = Number(__ENV.BASE_RPS || 10);
export const options = ingestOptions(BASE_RPS * 5, __ENV.DURATION || '2m');
export { ingest, slo };
