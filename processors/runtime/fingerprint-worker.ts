/**
 * The worker thread a restore fills its dedup tables in (recent.ts, RecentSet.restoreGenerations):
 * it receives the tables' words and the generations' packed fingerprints, both in
 * SharedArrayBuffers, fills the tables in place and answers with how many entries each gained.
 */
import { parentPort } from 'node:worker_threads';
import { FingerprintTable } from './recent.js';

/** One generation's table and the fingerprints to put in it. */
export interface LoadJob {
  words: Uint32Array;
  packed: Uint8Array;
}

parentPort?.once('message', (jobs: LoadJob[]) => {
  parentPort?.postMessage(jobs.map((j) => FingerprintTable.loadInto(j.words, j.packed)));
});
