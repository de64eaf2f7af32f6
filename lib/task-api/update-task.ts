/**
 * The workflows' DynamoDB steps, each built from one expression of `lambdas/domain`: the same
 * conditional write the Lambdas make, with `:now` the state's entered time, `:attempt` the
 * execution's attempt and `:history` the entry it appends.
 */
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { HistoryEvent, TaskStatus } from '../../lambdas/domain/task.ts';
import { type LiteralValue, type TransitionExpression, updateExpression } from '../../lambdas/domain/transitions.ts';

/** A literal of a domain expression as a DynamoDB attribute value. */
function literal(value: LiteralValue): tasks.DynamoAttributeValue {
  if (typeof value === 'number') return tasks.DynamoAttributeValue.fromNumber(value);
  if (typeof value === 'string') return tasks.DynamoAttributeValue.fromString(value);
  return tasks.DynamoAttributeValue.fromList([]);
}

/** The state's entered time. */
export const ENTERED_TIME = (): tasks.DynamoAttributeValue => tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime'));

/** The execution's attempt (`$$.Execution.Input.attempt`), for the attempt guard. */
export const EXECUTION_ATTEMPT = (): tasks.DynamoAttributeValue =>
  tasks.DynamoAttributeValue.numberFromString(sfn.JsonPath.jsonToString(sfn.JsonPath.numberAt('$$.Execution.Input.attempt')));

/** The history entry a step appends (a list of one), at the state's entered time. */
export function historyValue(event: HistoryEvent, status: TaskStatus, detail?: string): tasks.DynamoAttributeValue {
  return tasks.DynamoAttributeValue.fromList([
    tasks.DynamoAttributeValue.fromMap({
      at: ENTERED_TIME(),
      status: tasks.DynamoAttributeValue.fromString(status),
      event: tasks.DynamoAttributeValue.fromString(event),
      ...(detail && { detail: tasks.DynamoAttributeValue.fromString(detail) }),
    }),
  ]);
}

/** A DynamoDB UpdateItem step on the execution's task, built from one domain expression. */
export function updateTaskStep(
  scope: Construct,
  name: string,
  table: dynamodb.ITable,
  transition: TransitionExpression,
  fieldValues: Record<string, tasks.DynamoAttributeValue>,
): tasks.DynamoUpdateItem {
  const values: Record<string, tasks.DynamoAttributeValue> = {};
  for (const [placeholder, value] of Object.entries(transition.values)) values[placeholder] = literal(value);
  // `:now` only where the expression uses it (DynamoDB refuses unused values).
  if (`${updateExpression(transition)} ${transition.condition}`.includes(':now')) values[':now'] = ENTERED_TIME();
  Object.assign(values, fieldValues);
  return new tasks.DynamoUpdateItem(scope, name, {
    table,
    key: { id: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Input.taskId')) },
    updateExpression: updateExpression(transition),
    conditionExpression: transition.condition,
    expressionAttributeNames: transition.names,
    expressionAttributeValues: values,
    resultPath: sfn.JsonPath.DISCARD,
  });
}
