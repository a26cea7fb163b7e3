/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits — time-ordered ids, so the raw
 * table's event_id index grows at its right edge. `random` is injectable for seeded generation.
 */
import { randomBytes } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function uuidv7(ms: number = Date.now(), random: (bytes: Uint8Array) => void = fillRandom): string {
  const b = new Uint8Array(16);
  random(b.subarray(6));
  let t = Math.floor(ms);
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = (i: number) => HEX[b[i] ?? 0] ?? '00';
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

function fillRandom(bytes: Uint8Array): void {
  bytes.set(randomBytes(bytes.length));
}
