/**
 * `node dist/bench/walkthrough-cast.js <typescript> <timing> <out.cast> [title]`: the recorder's
 * last step (scripts/record-walkthrough.sh) — `script`'s recording as an asciicast v2 file
 * (bench/lib/demo/asciicast.ts). The terminal size is the recording's: COLUMNS and LINES, which
 * the recorder sets for the recorded command too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { environment } from '../lib/config/index.js';
import { toAsciicast } from './lib/demo/asciicast.js';

const [typescript, timing, out, title] = process.argv.slice(2);
if (!typescript || !timing || !out) {
  process.stderr.write('usage: walkthrough-cast <typescript> <timing> <out.cast> [title]\n');
  process.exit(2);
}
const env = environment();
const size = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) ? Number(v) : d);
const cast = toAsciicast(readFileSync(typescript), readFileSync(timing, 'utf8'), {
  width: size(env['COLUMNS'], 120),
  height: size(env['LINES'], 40),
  ...(title ? { title } : {}),
});
writeFileSync(out, cast);
