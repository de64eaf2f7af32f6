/**
 * TaskWorkflow: the Standard state machine around the platform team's worker.
 * worker --> RecordSuccess (DynamoDB step); any worker Task error --> RecordFailure --> Failed.
 * Both records are built from the transitions in `lambdas/domain/transitions.ts`.
 */
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { transitionExpression, type TransitionExpression } from '../../lambdas/domain/transitions.ts';

/** Names of the states the construct adds after and around the worker. */
export const SHELL_STATES = {
  recordSuccess: 'RecordSuccess',
  recordFailure: 'RecordFailure',
  alreadyFinished: 'AlreadyFinished',
  failed: 'Failed',
} as const;

export interface TaskWorkflowProps {
  readonly table: dynamodb.ITable;
  /** The job: input `{ taskId, type, input }`; its output becomes the task's result. */
  readonly worker: sfn.IChainable;
  /** @default Duration.hours(1) */
  readonly timeout?: Duration;
  readonly logRetention: logs.RetentionDays;
}

export class TaskWorkflow extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** The ARN of every execution of `stateMachine` (`...:execution:<name>:*`). */
  public readonly executionsArn: string;

  private readonly table: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: TaskWorkflowProps) {
    super(scope, id);
    this.table = props.table;

    const recordSuccess = this.updateTask(SHELL_STATES.recordSuccess, transitionExpression('succeeded', ['result', 'progress']), {
      ':result': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$'))),
      ':progress': tasks.DynamoAttributeValue.fromMap({ percent: tasks.DynamoAttributeValue.fromNumber(100) }),
    });
    const recordFailure = this.updateTask(SHELL_STATES.recordFailure, transitionExpression('failed', ['error']), {
      ':error': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error'))),
    });
    const failed = new sfn.Fail(this, SHELL_STATES.failed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const alreadyFinished = new sfn.Succeed(this, SHELL_STATES.alreadyFinished, {
      comment: 'The task reached a terminal status (e.g. cancelled) before the workflow did.',
    });

    // A terminal task (cancelled meanwhile) keeps its status: the condition fails and that is fine.
    recordSuccess.addCatch(alreadyFinished, {
      errors: ['DynamoDB.ConditionalCheckFailedException'],
      resultPath: '$.recordError',
    });
    recordFailure.addCatch(failed, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.recordError' });
    recordFailure.next(failed);

    const workerChain = sfn.Chain.start(props.worker);
    for (const state of sfn.State.findReachableStates(workerChain.startState)) {
      if (
        state instanceof sfn.TaskStateBase ||
        state instanceof sfn.Parallel ||
        state instanceof sfn.Map ||
        state instanceof sfn.DistributedMap
      ) {
        state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      }
    }
    const definition = workerChain.next(recordSuccess);

    const logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', { retention: props.logRetention });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: props.timeout ?? Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.executionsArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and the CloudWatch Logs delivery actions Step Functions logging needs support no resource-level permissions.',
    });
  }

  /** A DynamoDB updateItem step built from one transition of `lambdas/domain/transitions.ts`. */
  private updateTask(
    name: string,
    transition: TransitionExpression,
    fieldValues: Record<string, tasks.DynamoAttributeValue>,
  ): tasks.DynamoUpdateItem {
    const values: Record<string, tasks.DynamoAttributeValue> = {};
    for (const [placeholder, literal] of Object.entries(transition.values)) {
      values[placeholder] =
        typeof literal === 'number' ? tasks.DynamoAttributeValue.fromNumber(literal) : tasks.DynamoAttributeValue.fromString(literal);
    }
    values[':now'] = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime'));
    Object.assign(values, fieldValues);
    return new tasks.DynamoUpdateItem(this, name, {
      table: this.table,
      key: { id: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Input.taskId')) },
      updateExpression: `SET ${transition.set.join(', ')}`,
      conditionExpression: transition.condition,
      expressionAttributeNames: transition.names,
      expressionAttributeValues: values,
      resultPath: sfn.JsonPath.DISCARD,
    });
  }
}
