// Ingest at 1x the base rate: 10 requests/s × 100 events = 1000 events/s for ${DURATION||'2m'}.
// Fails (non-zero exit) when an HTTP or pipeline SLO is missed. `make load PROFILE=ingest-1x`
import { ingestOptions, ingest, slo } from './ingest.js';

const BASE_RPS = Number(__ENV.BASE_RPS || 10);
export const options = ingestOptions(BASE_RPS * 1, __ENV.DURATION || '2m');
export { ingest, slo };
