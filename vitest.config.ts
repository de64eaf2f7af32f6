import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * One temporary folder for everything a run writes there (each CDK synth leaves a cdk.out of ~30 MB
 * in the temporary folder, and nothing removes it), removed when the run ends.
 */
const RUN_TMPDIR = mkdtempSync(join(tmpdir(), 'longrun-test-'));
process.once('exit', () => rmSync(RUN_TMPDIR, { recursive: true, force: true }));

/** Tests that need no emulator: the domain, the constructs, the packages' own parts. `npm run test:unit` runs these alone. */
/**
 * Tests that run whole processes of their own (packing and installing the packages, the benchmark,
 * kill -9 and fault loads on stacks of their own): CPU-heavy, so they run after the rest rather than
 * starving the shared local stack's timing-sensitive tests on a 2-core machine.
 */
const HEAVY = ['test/examples/adoption.test.ts', 'test/bench/bench.test.ts', 'test/faults/crash.test.ts', 'test/faults/fault-load.test.ts'];

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
      TMPDIR: RUN_TMPDIR,
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
          exclude: [...UNIT, ...HEAVY],
          // One local stack (DynamoDB Local, the Step Functions endpoint, the HTTP front) for the whole run.
          globalSetup: ['test/support/local-stack-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: HEAVY,
          // After the unit and integration projects are done.
          sequence: { groupOrder: 1 },
          globalSetup: ['test/support/assembly-setup.ts'],
        },
      },
    ],
  },
});
