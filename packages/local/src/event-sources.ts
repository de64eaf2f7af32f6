/**
 * Event source mappings and SQS queues, read from the synthesized template for the local stack
 * (the stream poller and the local queue run what the template declares: filters, batch sizes,
 * visibility timeouts, redrive policies).
 */
import { type CfnTemplate, functionBehind, type LocalValues, referencedLogicalIds, resolveIntrinsics } from './template.ts';

export interface EventSourceMappingDefinition {
  logicalId: string;
  /** The target function's logical id. */
  functionLogicalId: string;
  /** Resolved ARN: a table stream (`…/stream/…`) or a queue (`arn:aws:sqs:…`). */
  eventSourceArn: string;
  /** The logical id of the table or queue the ARN belongs to. */
  sourceLogicalId: string;
  batchSize: number;
  /** Parsed `FilterCriteria.Filters[].Pattern`. */
  filters: Array<Record<string, unknown>>;
  reportBatchItemFailures: boolean;
  maximumRetryAttempts?: number;
  bisectBatchOnFunctionError: boolean;
  /** An SQS mapping's `ScalingConfig.MaximumConcurrency`: invocations at once, at most. */
  maximumConcurrency?: number;
}

export interface QueueDefinition {
  logicalId: string;
  name: string;
  arn: string;
  url: string;
  visibilityTimeoutSeconds: number;
  /** Redrive: the dead-letter queue's logical id and the receive count that sends a message there. */
  redrive?: { deadLetterLogicalId: string; maxReceiveCount: number };
}

export function findEventSourceMappings(template: CfnTemplate, values: LocalValues): EventSourceMappingDefinition[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const functionLogicalId = functionBehind(template, p.FunctionName);
      const sourceLogicalId = [...referencedLogicalIds(p.EventSourceArn)][0];
      if (!functionLogicalId || !sourceLogicalId) throw new Error(`event source mapping ${logicalId}: cannot tell its function or source`);
      const filters = ((p.FilterCriteria?.Filters ?? []) as Array<{ Pattern: string }>).map((f) => JSON.parse(f.Pattern) as Record<string, unknown>);
      return {
        logicalId,
        functionLogicalId,
        eventSourceArn: String(resolveIntrinsics(p.EventSourceArn, values, template)),
        sourceLogicalId,
        batchSize: Number(p.BatchSize ?? (template.Resources[sourceLogicalId]?.Type === 'AWS::SQS::Queue' ? 10 : 100)),
        filters,
        reportBatchItemFailures: ((p.FunctionResponseTypes ?? []) as string[]).includes('ReportBatchItemFailures'),
        ...(p.MaximumRetryAttempts !== undefined && { maximumRetryAttempts: Number(p.MaximumRetryAttempts) }),
        bisectBatchOnFunctionError: p.BisectBatchOnFunctionError === true,
        ...(p.ScalingConfig?.MaximumConcurrency !== undefined && { maximumConcurrency: Number(p.ScalingConfig.MaximumConcurrency) }),
      };
    });
}

export function findQueues(template: CfnTemplate, values: LocalValues): QueueDefinition[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const redrive = p.RedrivePolicy as { deadLetterTargetArn?: unknown; maxReceiveCount?: number } | undefined;
      const deadLetterLogicalId = redrive ? [...referencedLogicalIds(redrive.deadLetterTargetArn)][0] : undefined;
      return {
        logicalId,
        name: values.attributes[`${logicalId}.QueueName`] ?? logicalId,
        arn: values.attributes[`${logicalId}.Arn`]!,
        url: values.refs[logicalId]!,
        visibilityTimeoutSeconds: Number(p.VisibilityTimeout ?? 30),
        ...(deadLetterLogicalId && { redrive: { deadLetterLogicalId, maxReceiveCount: Number(redrive!.maxReceiveCount ?? 10) } }),
      };
    });
}
