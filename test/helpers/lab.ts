/**
 * A lab page (docs/labs/*.md) as a test sees it: its `sh` blocks, run in order in one bash
 * session, and after each the "You should see" `text` block its output must match — line by line,
 * in order, each line a pattern where `…` stands for anything and a run of spaces for any spaces.
 */

export interface LabStep {
  /** Shell source of one `sh` block. */
  script: string;
  /** Lines the block's output must contain, in this order (empty: no check). */
  expect: string[];
}

const FENCE = /^```(\w*)\s*$/;

export function parseLab(markdown: string): LabStep[] {
  const steps: LabStep[] = [];
  const lines = markdown.split('\n');
  let i = 0;
  while (i < lines.length) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) {
      i++;
      continue;
    }
    const lang = open[1] ?? '';
    const body: string[] = [];
    i++;
    while (i < lines.length && !/^```\s*$/.test(lines[i] ?? '')) body.push(lines[i++] ?? '');
    i++;
    if (lang === 'sh') steps.push({ script: body.join('\n'), expect: [] });
    else if (lang === 'text') {
      const last = steps[steps.length - 1];
      if (!last) throw new Error('a "You should see" block before any command block');
      last.expect.push(...body.filter((l) => l.trim() !== ''));
    }
  }
  return steps;
}

/** The expected line as a regular expression: `…` is anything, spaces are any run of spaces. */
export function linePattern(expected: string): RegExp {
  const parts = expected
    .trim()
    .split('…')
    .map((p) =>
      p
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .split(/ +/)
        .join('\\s+'),
    );
  return new RegExp(parts.join('.*'));
}

/** Each expected line matched by an output line after the previous match; the first miss, or undefined. */
export function firstMissing(output: string, expected: string[]): string | undefined {
  const lines = output.split('\n');
  let at = 0;
  for (const e of expected) {
    const re = linePattern(e);
    while (at < lines.length && !re.test(lines[at] ?? '')) at++;
    if (at >= lines.length) return e;
    at++;
  }
  return undefined;
}
