/**
 * ExecutionBackstop: Step Functions "Execution Status Change" events --> reconcile Lambda, which
 * records what the workflow could not record itself (running, timeouts, aborts, Fail states).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { liveAlias, longrunFunction } from './function.ts';
import { allow, encryptedQueue } from './grants.ts';

/** The function of the reconcile backstop, in `AsyncTaskApi.functions`. */
export const RECONCILE_FUNCTION = 'reconcile-execution';

/** What {@link ExecutionBackstop} receives. */
export interface ExecutionBackstopProps {
  /** The task table. */
  readonly table: dynamodb.ITable;
  /** The task workflow's state machine. */
  readonly stateMachine: sfn.IStateMachine;
  /** Environment shared by every task function (table name, retention, …). */
  readonly environment: Record<string, string>;
  /** Retention of the log groups this part creates. */
  readonly logRetention: logs.RetentionDays;
  /** How long the failure queues keep a message (never longer than the tasks they name are kept). @default Duration.days(14) */
  readonly failureRetention?: Duration;
  /** Encrypts the queues and the log group. @default - SQS managed keys, CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The backstop: Step Functions "Execution Status Change" events (an EventBridge rule) go to the
 * reconcile function, which records what the workflow could not record itself (running, timeouts,
 * aborts, Fail states), with a dead-letter queue and an on-failure destination.
 */
export class ExecutionBackstop extends Construct {
  /** The reconcile function (`reconcile-execution`). */
  public readonly reconcileFunction: lambda.Function;
  /** The EventBridge rule routing execution status changes to the reconcile function. */
  public readonly rule: events.Rule;
  /** Dead-letter queue of events the reconcile function could not take. */
  public readonly deadLetterQueue: sqs.Queue;
  /** On-failure destination of the reconcile function: asynchronous invocations that failed every attempt. */
  public readonly failureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionBackstopProps) {
    super(scope, id);
    this.reconcileFunction = longrunFunction(this, 'ReconcileExecutionFunction', {
      name: RECONCILE_FUNCTION,
      environment: { ...props.environment },
      description: 'Backstop: records timed-out, aborted and failed executions',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    allow(this.reconcileFunction, ['dynamodb:UpdateItem'], [props.table.tableArn]);
    this.deadLetterQueue = encryptedQueue(this, 'ReconcileDeadLetterQueue', props.encryptionKey, {
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    // EventBridge's DLQ only catches delivery failures; an invocation that throws (e.g. DynamoDB
    // throttling past Lambda's own retries) lands here, with its event, for a redrive.
    this.failureQueue = encryptedQueue(this, 'ReconcileFailureQueue', props.encryptionKey, {
      retentionPeriod: props.failureRetention ?? Duration.days(14),
    });
    // Invocations go to the `live` alias, so its asynchronous settings are the ones that apply.
    const live = liveAlias(this.reconcileFunction);
    live.configureAsyncInvoke({
      onFailure: sendOnlyDestination(this.failureQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    this.rule = new events.Rule(this, 'ExecutionStatusChangeRule', {
      description: 'Step Functions execution status changes of the task workflow',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        // The state machine, and the same ARN qualified by a version or an alias, should an event name
        // the one its execution started through.
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn, { prefix: `${props.stateMachine.stateMachineArn}:` }] },
      },
      targets: [
        new targets.LambdaFunction(live, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge target of the reconcile function.',
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter destination: the on-failure destination of the reconcile function.',
    });
  }
}

/**
 * An SQS on-failure destination granting exactly `sqs:SendMessage` (the stock SqsDestination also
 * grants GetQueueAttributes and GetQueueUrl, which Lambda does not need to deliver).
 */
function sendOnlyDestination(queue: sqs.IQueue): lambda.IDestination {
  return {
    bind: (_scope, fn) => {
      allow(fn, ['sqs:SendMessage'], [queue.queueArn]);
      return { destination: queue.queueArn };
    },
  };
}
