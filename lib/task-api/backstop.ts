/**
 * ExecutionBackstop: Step Functions "Execution Status Change" events --> reconcile Lambda, which
 * records what the workflow could not record itself (running, timeouts, aborts, Fail states).
 */
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { taskFunction } from '../task-function.ts';
import { allow } from './grants.ts';

/** The function of the reconcile backstop, in `AsyncTaskApi.functions`. */
export const RECONCILE_FUNCTION = 'reconcile-execution';

export interface ExecutionBackstopProps {
  readonly table: dynamodb.ITable;
  readonly stateMachine: sfn.IStateMachine;
  /** Environment shared by every task function (table name, retention, …). */
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
}

export class ExecutionBackstop extends Construct {
  public readonly reconcileFunction: NodejsFunction;
  /** The EventBridge rule routing execution status changes to the reconcile function. */
  public readonly rule: events.Rule;
  /** Dead-letter queue of events the reconcile function could not take. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ExecutionBackstopProps) {
    super(scope, id);
    this.reconcileFunction = taskFunction(this, 'ReconcileExecutionFunction', {
      entry: `lambdas/workflow/${RECONCILE_FUNCTION}.ts`,
      environment: { ...props.environment },
      description: 'Backstop: records timed-out, aborted and failed executions',
      logRetention: props.logRetention,
    });
    allow(this.reconcileFunction, ['dynamodb:UpdateItem', 'dynamodb:GetItem'], [props.table.tableArn]);
    this.deadLetterQueue = new sqs.Queue(this, 'ReconcileDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = new events.Rule(this, 'ExecutionStatusChangeRule', {
      description: 'Step Functions execution status changes of the task workflow',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.LambdaFunction(this.reconcileFunction, {
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
  }
}
