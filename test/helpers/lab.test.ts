import { describe, expect, it } from 'vitest';
import { firstMissing, linePattern, parseLab } from './lab.js';

describe('lab pages', () => {
  const page = [
    '# A lab',
    '```sh',
    'echo one',
    'echo two',
    '```',
    'You should see:',
    '```text',
    'one',
    '',
    't…o',
    '```',
    '```json',
    '{}',
    '```',
    '```sh',
    'true',
    '```',
  ].join('\n');

  it('takes sh blocks in order, each with the text block after it', () => {
    expect(parseLab(page)).toEqual([
      { script: 'echo one\necho two', expect: ['one', 't…o'] },
      { script: 'true', expect: [] },
    ]);
  });

  it('matches lines in order, … as anything, spaces as any spaces', () => {
    expect(linePattern('a … b').test('a xyz   b')).toBe(true);
    expect(linePattern('{"a":1}').test('{"a":1}')).toBe(true);
    expect(firstMissing('one\ntwo\n', ['one', 't…o'])).toBeUndefined();
    expect(firstMissing('two\none\n', ['one', 't…o'])).toBe('t…o');
    expect(firstMissing('lost 1\n', ['lost 0'])).toBe('lost 0');
  });

  it('refuses an expectation with no command before it', () => {
    expect(() => parseLab('```text\nx\n```')).toThrow(/before any command/);
  });
});
