/**
 * Vitest globalSetup of the integration project: synthesizes the demo app once (`cdk.json`'s app,
 * with the test CORS origin as context) and runs it with `longrun-local --assembly` as a child
 * process for the whole run. Provides its coordinates as `inject('localStack')`, and the cloud
 * assembly as `inject('assemblyDir')` (tests that start a stack of their own reuse it).
 *
 * - API keys (`LONGRUN_API_KEYS`): apiKeys[0] and apiKeys[2] are two keys of consumer `alpha`, apiKeys[1]
 *   the key of consumer `beta`, so isolation between callers and sharing between keys can be tested.
 * - State machine timeout: `LONGRUN_EXECUTION_TIMEOUT_SECONDS` (default here: 20 s, so a timeout
 *   test can wait for TIMED_OUT; override it from the environment of `vitest run`).
 * - Teardown: SIGTERM, then SIGKILL after 10 s; DynamoDB Local's Java process is stopped by the child.
 */
import { randomBytes } from 'node:crypto';
import { synthesize } from '@longrun/local';
import type { TestProject } from 'vitest/node';
import { CORS_TEST_ORIGIN, REPO_ROOT, spawnLocalStack } from './spawn-local-stack.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const assembly = await synthesize({ cwd: REPO_ROOT, context: { corsAllowOrigins: CORS_TEST_ORIGIN } });
  const key = (name: string) => `test-${name}-${randomBytes(8).toString('hex')}`;
  const keys = [`alpha=${key('a')}`, `beta=${key('b')}`, `alpha=${key('a2')}`];
  const executionTimeoutSeconds = Number(process.env.LONGRUN_EXECUTION_TIMEOUT_SECONDS ?? 20);
  let stack: Awaited<ReturnType<typeof spawnLocalStack>>;
  try {
    stack = await spawnLocalStack(['--assembly', assembly.dir, '--page', 'demo.html=examples/progress.html'], {
      env: {
        LONGRUN_API_KEYS: keys.join(','),
        LONGRUN_EXECUTION_TIMEOUT_SECONDS: String(executionTimeoutSeconds),
        // Webhook retries after 1, 2 and 4 s instead of 5 s … 10 h, so the receiver tests finish.
        LONGRUN_WEBHOOK_RETRY_DELAYS: process.env.LONGRUN_WEBHOOK_RETRY_DELAYS ?? '1,2,4',
      },
      echo: Boolean(process.env.LONGRUN_LOCAL_LOG),
    });
  } catch (err) {
    assembly.cleanup();
    throw err;
  }
  const { stop, ...ready } = stack;
  project.provide('localStack', { ...ready, executionTimeoutSeconds });
  project.provide('assemblyDir', assembly.dir);
  return async () => {
    await stop();
    assembly.cleanup();
  };
}
