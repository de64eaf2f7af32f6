// EventBridge Scheduler (one-time schedule at an attempt's deadline) --> expireTask --> task store (conditional UpdateItem) + StopExecution
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '#observability/logger';
import { type DeadlineEvent, expireTask, isDeadlineEvent } from '#service/deadlines';

export const handler = middy<DeadlineEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use({ before: ({ event }) => void logger.appendKeys({ taskId: event?.taskId }) })
  .handler(async (event) => {
    // A malformed event is not retried: nothing could make it valid.
    if (!isDeadlineEvent(event)) {
      logger.error('Not a deadline event', { event: JSON.stringify(event).slice(0, 200) });
      return { expired: false };
    }
    return { expired: await expireTask(event) };
  });
