import type { LocalStack } from '@longrun/local';

/** What `test/support/local-stack-setup.ts` provides to every integration test (`inject('localStack')`). */
export type ProvidedLocalStack = Pick<
  LocalStack,
  | 'baseUrl'
  | 'dynamodbEndpoint'
  | 'stepFunctionsEndpoint'
  | 's3Endpoint'
  | 'resultsBucketName'
  | 'tableName'
  | 'stateMachineArn'
  | 'apiKeys'
  | 'sqsEndpoint'
  | 'eventBusEndpoint'
  | 'stackName'
  | 'consumers'
> & {
  /** The local stack process. */
  pid: number;
  /** The state machine timeout the local stack runs with (LONGRUN_EXECUTION_TIMEOUT_SECONDS). */
  executionTimeoutSeconds: number;
};

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: ProvidedLocalStack;
    /** The demo app's cloud assembly, synthesized once by the global setup (`longrun-local --assembly <dir>`). */
    assemblyDir: string;
  }
}
