// EventBridge "Step Functions Execution Status Change" --> reconcileExecution --> task store
import type { EventBridgeEvent } from 'aws-lambda';
import { reconcileExecution, type ExecutionStatusChange } from '#workflow/reconcile';

export async function handler(event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusChange>) {
  await reconcileExecution(event.detail);
}
