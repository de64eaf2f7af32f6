// EventBridge schedule --> sweepOpenTasks --> open-task index, DescribeExecution, the backstop's reconcile
import type { Context } from 'aws-lambda';
import { sweepOpenTasks } from '#service/sweep';

export async function handler(_event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) {
  const budgetMs = context ? context.getRemainingTimeInMillis() : 60_000;
  return sweepOpenTasks({ now: Date.now(), deadline: Date.now() + budgetMs });
}
