// Step Functions (awaitInput's `.waitForTaskToken` state) --> recordWait --> task store (conditional UpdateItem)
// The state then waits for its token: POST /tasks/{id}/input (or the capability URL) sends it.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '#observability/logger';
import { type AwaitInputEvent, recordWait } from '#service/await-input';

export const handler = middy<AwaitInputEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use({ before: ({ event }) => void logger.appendKeys({ taskId: event?.taskId }) })
  .handler(async (event) => {
    await recordWait(event);
    return {};
  });
