// EventBridge "Step Functions Execution Status Change" --> reconcileExecution --> task store
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '#observability/logger';
import { type ExecutionStatusChange, reconcileExecution } from '#service/reconcile';

type StatusChangeEvent = EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>;

export const handler = middy<StatusChangeEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use({ before: ({ event }) => void logger.appendKeys({ taskId: event.detail?.name }) })
  .handler(async (event) => {
    await reconcileExecution(event.detail);
  });
