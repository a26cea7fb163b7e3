import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs no servers and runs in seconds; `integration` talks to the real
// native (or Docker) stack, which its global setup brings up when it is not already running.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/helpers/stack-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // One stack, two cores: integration files run one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
