import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One local stack (DynamoDB Local, the Step Functions endpoint, the HTTP front) for the whole run.
    globalSetup: ['test/support/local-stack-setup.ts'],
    // Defaults for modules that read their configuration at load; integration tests override them.
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
  },
});
