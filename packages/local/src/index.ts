/**
 * `@longrun/local`: a CDK app's Longrun stack on this machine, for development and tests. The
 * command line is `longrun-local`; this is the same from code.
 *
 * @example
 * ```ts
 * import { startLocalStack } from '@longrun/local';
 *
 * const stack = await startLocalStack({ app: 'npx tsx bin/app.ts', apiKeys: ['dev-key'], port: 0 });
 * const response = await fetch(`${stack.baseUrl}/openapi.json`);
 * await stack.stop();
 * ```
 *
 * @packageDocumentation
 */
export { type AssemblyStack, assemblyStacks, type CloudAssembly, pickStack, type SynthOptions, synthesize } from './assembly.ts';
export type { FaultKind, FaultOptions } from './faults.ts';
export { apiKeyId } from './http-front.ts';
export { type LocalStack, type LocalStackOptions, startLocalStack } from './local-stack.ts';
