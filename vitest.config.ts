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
          // Tests run sinks on schemas of their own with the owner's DATABASE_URL: the sinks
          // migrate them (`make up` migrates the stack's schema instead, and its sinks never do).
          env: { SINK_POSTGRES_MIGRATE: 'true', SINK_AGGREGATES_MIGRATE: 'true' },
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // One stack, two cores: integration files run one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});
