/** A component that dies during start-up: the error carries the last lines of its log. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeComponent } from '../../stack/component.js';
import { launchAndWait } from '../../stack/launch.js';
import { stackContext } from '../../stack/native.js';
import { stackPaths } from '../../stack/paths.js';
import { existsSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'retail-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fakeComponent(script: string, healthy: () => Promise<boolean>): NativeComponent {
  return {
    name: 'fake',
    title: 'a stand-in server',
    ports: [],
    stopSignal: 'SIGTERM',
    startTimeoutMs: 3000,
    url: 'n/a',
    provision: async () => undefined,
    prepare: async () => undefined,
    launch: () => ({ command: 'sh', args: ['-c', script] }),
    healthy,
    env: () => ({}),
  };
}

describe('launchAndWait', () => {
  const paths = {
    ...stackPaths(),
    stack: dir,
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
    cache: join(dir, 'c'),
    data: join(dir, 'd'),
    conf: join(dir, 'conf'),
    secretsFile: join(dir, 's.env'),
    envFile: join(dir, 'env'),
  };
  const ctx = stackContext(paths, () => undefined);

  it.each([
    [
      'a component that exits during start-up: COMPONENT_START_FAILED with its log tail, no PID file left',
      'echo "FATAL: bad config line 7"; exit 3',
      ['fake exited during start-up', 'FATAL: bad config line 7'],
    ],
    [
      'a component that never becomes healthy is killed after its timeout',
      'echo still booting; sleep 60',
      ['was not healthy after 3 s', 'still booting'],
    ],
  ])('%s', async (_what, script, messages) => {
    const err = await launchAndWait(
      ctx,
      fakeComponent(script, async () => false),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'COMPONENT_START_FAILED' });
    for (const m of messages) expect((err as Error).message).toContain(m);
    expect(existsSync(join(paths.run, 'fake.pid'))).toBe(false);
  });

  it('a healthy component leaves its PID file', async () => {
    await launchAndWait(
      ctx,
      fakeComponent('sleep 30', async () => true),
    );
    expect(existsSync(join(paths.run, 'fake.pid'))).toBe(true);
    const { readPid, stopPid } = await import('../../stack/process.js');
    await stopPid(readPid(join(paths.run, 'fake.pid'))!, 'SIGKILL', 1000);
  });
});
