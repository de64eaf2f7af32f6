/**
 * Points handler modules at the local stack's DynamoDB Local and Step Functions endpoint, the way
 * the local stack and Lambda configure them: environment variables only. Call before importing a
 * handler (its configuration is read once, at load).
 */
import { inject } from 'vitest';
import { DEMO_TASK_TYPES } from '../../lib/demo/task-types.ts';

export const RETENTION_SECONDS = 7 * 24 * 3600;

export function useLocalStackEnv() {
  const stack = inject('localStack');
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
