/**
 * Records a finished execution's output as the task's result, outside the workflow (backstop,
 * sweeper). A result that would push the task record over DynamoDB's 400 KB item limit is never
 * dropped silently: the task fails with the result-too-large problem instead.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { resultTooLargeProblem } from '#domain/result-pointer';
import { transition, type WriteOutcome } from '#store/task-store';

function isItemTooLarge(error: unknown): boolean {
  return (
    error instanceof DynamoDBServiceException &&
    error.name === 'ValidationException' &&
    /item size.*exceeded the maximum allowed size/i.test(error.message)
  );
}

export async function recordResult(taskId: string, attempt: number, output: string, now: string): Promise<WriteOutcome> {
  try {
    return await transition(taskId, 'succeeded', now, { result: output, progress: { percent: 100 } }, { attempt });
  } catch (error) {
    if (!isItemTooLarge(error)) throw error;
    return transition(taskId, 'failed', now, { error: JSON.stringify(resultTooLargeProblem()) }, { attempt, detail: 'result-too-large' });
  }
}
