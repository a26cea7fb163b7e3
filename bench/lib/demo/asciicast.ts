/**
 * A terminal session recorded by util-linux `script` (its typescript and its classic timing file,
 * `script -T`) as an asciicast v2 file — the format `asciinema play` and asciinema's web player
 * read — so a walkthrough can be published without installing asciinema to record it.
 *
 * The timing file has one line per chunk written to the terminal: the delay since the previous
 * chunk in seconds and the chunk's length in bytes. The chunks follow the typescript's first line
 * (`Script started on …`); what comes after the last one is `script`'s own trailer.
 */

export interface CastHeader {
  width: number;
  height: number;
  /** Unix seconds of the recording's start. */
  timestamp?: number;
  title?: string;
}

/** The asciicast v2 text: a header line, then `[seconds, "o", text]` per chunk. */
export function toAsciicast(typescript: Buffer, timing: string, header: CastHeader): string {
  const newline = typescript.indexOf(0x0a);
  let at =
    typescript.subarray(0, 15).toString('latin1') === 'Script started ' && newline >= 0 ? newline + 1 : 0;
  const decoder = new TextDecoder('utf-8');
  const lines = [JSON.stringify({ version: 2, ...header })];
  let t = 0;
  for (const line of timing.split('\n')) {
    const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(line.trim());
    if (!m) continue;
    t += Number(m[1]);
    const end = Math.min(at + Number(m[2]), typescript.length);
    // stream: a UTF-8 character split across two chunks is emitted whole with the second.
    const text = decoder.decode(typescript.subarray(at, end), { stream: true });
    at = end;
    if (text !== '') lines.push(JSON.stringify([Math.round(t * 1e6) / 1e6, 'o', text]));
  }
  return `${lines.join('\n')}\n`;
}

/** The text a player would print: every chunk's output, in order (for checks and searches). */
export function castText(cast: string): string {
  return cast
    .split('\n')
    .slice(1)
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as [number, string, string])[2])
    .join('');
}
