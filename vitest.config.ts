import { defineConfig } from 'vitest/config';

/** Tests that need no emulator: the domain, the constructs, the packages' own parts. `npm run test:unit` runs these alone. */
const UNIT = [
  'test/unit/**/*.test.ts',
  'test/infra/**/*.test.ts',
  'packages/worker/test/unit/**/*.test.ts',
  'packages/client/test/unit/**/*.test.ts',
  'packages/local/test/unit/**/*.test.ts',
];

export default defineConfig({
  // In the repository the examples import the construct by its package name, from source.
  resolve: { alias: { '@longrun/cdk': new URL('./lib/index.ts', import.meta.url).pathname } },
  test: {
    // Defaults for modules that read their configuration; integration tests set their own.
    env: {
      TABLE_NAME: 'longrun-unit',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most integration tests wait on tasks, not on the CPU: more of them at once than there are cores.
    maxWorkers: 4,
    projects: [
      // One module cache per worker: the construct tests each import aws-cdk-lib, which costs more than they run.
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: UNIT,
          // One local stack (DynamoDB Local, the Step Functions endpoint, the HTTP front) for the whole run.
          globalSetup: ['test/support/local-stack-setup.ts'],
        },
      },
    ],
  },
});
