/** `script`'s typescript and timing file as an asciicast v2 (bench/lib/demo/asciicast.ts). */
import { describe, expect, it } from 'vitest';
import { castText, toAsciicast } from '../../../../bench/lib/demo/asciicast.js';

const HEADER = 'Script started on 2026-12-02 14:27:11+00:00 [COMMAND="demo"]\n';
const TRAILER = '\nScript done on 2026-12-02 14:27:12+00:00 [COMMAND_EXIT_CODE="0"]\n';

function recording(chunks: [number, string][]): { typescript: Buffer; timing: string } {
  const bodies = chunks.map(([, text]) => Buffer.from(text, 'utf8'));
  return {
    typescript: Buffer.concat([Buffer.from(HEADER), ...bodies, Buffer.from(TRAILER)]),
    timing: chunks.map(([delay], i) => `${delay} ${bodies[i]?.length ?? 0}`).join('\n') + '\n',
  };
}

describe('toAsciicast', () => {
  it('writes a v2 header, then each chunk at its cumulative time, without script’s header and trailer', () => {
    const { typescript, timing } = recording([
      [0.01, 'A pipeline of its own\r\n'],
      [0.5, 'PROOF HOLDS: 0 lost\r\n'],
    ]);
    const lines = toAsciicast(typescript, timing, { width: 100, height: 30, title: 't' })
      .trimEnd()
      .split('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual({ version: 2, width: 100, height: 30, title: 't' });
    expect(lines.slice(1).map((l) => JSON.parse(l) as unknown)).toEqual([
      [0.01, 'o', 'A pipeline of its own\r\n'],
      [0.51, 'o', 'PROOF HOLDS: 0 lost\r\n'],
    ]);
  });

  it('keeps a UTF-8 character split across two chunks whole', () => {
    const arrow = Buffer.from('ingest → raw topic', 'utf8');
    const cut = arrow.indexOf(0xe2) + 1; // inside the three bytes of "→"
    const typescript = Buffer.concat([Buffer.from(HEADER), arrow]);
    const cast = toAsciicast(typescript, `0.1 ${cut}\n0.1 ${arrow.length - cut}\n`, {
      width: 80,
      height: 24,
    });
    expect(castText(cast)).toBe('ingest → raw topic');
    expect(cast).not.toContain('\\ufffd');
  });

  it('reads a recording without script’s header line from its first byte, and ignores malformed timing lines', () => {
    const cast = toAsciicast(Buffer.from('hello world'), 'garbage\n0.2 5\n0.3 6\n', {
      width: 80,
      height: 24,
    });
    expect(castText(cast)).toBe('hello world');
  });
});
