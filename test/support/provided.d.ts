/** What `test/support/local-stack-setup.ts` provides to every test (`inject('localStack')`). */
export interface ProvidedLocalStack {
  /** `http://127.0.0.1:PORT/v1` */
  baseUrl: string;
  dynamodbEndpoint: string;
  stepFunctionsEndpoint: string;
  tableName: string;
  stateMachineArn: string;
  /** Accepted API keys (two distinct callers: index 0 and 1). */
  apiKeys: string[];
  /** The local stack process. */
  pid: number;
  /** The state machine timeout the local stack runs with (LONGRUN_EXECUTION_TIMEOUT_SECONDS). */
  executionTimeoutSeconds: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    localStack: ProvidedLocalStack;
  }
}
