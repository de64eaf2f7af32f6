/**
 * Vitest globalSetup of the heavy project: synthesizes the demo app once and provides the cloud
 * assembly as `inject('assemblyDir')`; each heavy test starts what it needs from it.
 */
import { synthesize } from '@longrun/local';
import type { TestProject } from 'vitest/node';
import { CORS_TEST_ORIGIN, REPO_ROOT } from './spawn-local-stack.ts';

export default async function setup(project: TestProject): Promise<() => void> {
  const assembly = await synthesize({ cwd: REPO_ROOT, context: { corsAllowOrigins: CORS_TEST_ORIGIN } });
  project.provide('assemblyDir', assembly.dir);
  return () => assembly.cleanup();
}
