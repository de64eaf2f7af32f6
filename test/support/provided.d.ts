import type { LocalStack } from '../../lib/local/local-stack.ts';

/** What `test/support/local-stack-setup.ts` provides to every test (`inject('localStack')`). */
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
> & {
  /** The local stack process. */
  pid: number;
  /** The state machine timeout the local stack runs with (LONGRUN_EXECUTION_TIMEOUT_SECONDS). */
  executionTimeoutSeconds: number;
};

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: ProvidedLocalStack;
  }
}
