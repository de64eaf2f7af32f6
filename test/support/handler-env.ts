/**
 * Points handler modules called in this process at a local stack's DynamoDB Local, Step Functions
 * endpoint and S3, the way Lambda configures them: environment variables only. Handlers read their
 * configuration on first use, so this may run after they are imported, before they are called.
 */
import type { LocalStack } from '@longrun/local';
import { inject } from 'vitest';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

export const RETENTION_SECONDS = 7 * 24 * 3600;

type StackCoordinates = Pick<
  LocalStack,
  'tableName' | 'stateMachineArn' | 'dynamodbEndpoint' | 'stepFunctionsEndpoint' | 's3Endpoint' | 'resultsBucketName'
>;

/** The environment of the demo stack's functions, pointed at `stack`. */
export function useStackEnv<S extends StackCoordinates>(stack: S): S {
  Object.assign(process.env, {
    TABLE_NAME: stack.tableName,
    STATE_MACHINE_ARN: stack.stateMachineArn,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: stack.stepFunctionsEndpoint,
    AWS_ENDPOINT_URL_S3: stack.s3Endpoint,
    RESULTS_BUCKET_NAME: stack.resultsBucketName ?? '',
    TASK_TYPES: JSON.stringify(DEMO_TASK_TYPES),
    TASK_RETENTION_SECONDS: String(RETENTION_SECONDS),
    EXECUTION_TIMEOUT_SECONDS: '3600',
    IDEMPOTENCY_TTL_SECONDS: '86400',
  });
  return stack;
}

/** The environment pointed at the shared local stack of the global setup. */
export function useLocalStackEnv() {
  return useStackEnv(inject('localStack'));
}
