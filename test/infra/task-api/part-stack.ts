/** A bare stack to build one capability construct alone, with only the inputs it declares. */
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

export function partStack(): { stack: Stack; table: dynamodb.Table; stateMachine: sfn.StateMachine } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Part');
  const table = new dynamodb.Table(stack, 'GivenTable', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  const stateMachine = new sfn.StateMachine(stack, 'GivenStateMachine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')),
  });
  return { stack, table, stateMachine };
}
