/**
 * `node dist/bench/walkthrough-cast.js <typescript> <timing> <out.cast> <columns> <rows> [title]`:
 * the recorder's last step (scripts/record-walkthrough.sh) — `script`'s recording as an asciicast
 * v2 file (bench/lib/demo/asciicast.ts), with the terminal size the command was recorded at.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { toAsciicast } from './lib/demo/asciicast.js';

const [typescript, timing, out, columns, rows, title] = process.argv.slice(2);
const size = (v: string | undefined) => (v && /^[1-9]\d*$/.test(v) ? Number(v) : undefined);
const width = size(columns);
const height = size(rows);
if (!typescript || !timing || !out || width === undefined || height === undefined) {
  process.stderr.write('usage: walkthrough-cast <typescript> <timing> <out.cast> <columns> <rows> [title]\n');
  process.exit(2);
}
const cast = toAsciicast(readFileSync(typescript), readFileSync(timing, 'utf8'), {
  width,
  height,
  ...(title ? { title } : {}),
});
writeFileSync(out, cast);
