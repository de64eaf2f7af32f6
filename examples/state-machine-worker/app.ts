#!/usr/bin/env node
/**
 * CDK app of the state machine worker example:
 * `npx cdk deploy --app 'npx tsx examples/state-machine-worker/app.ts' [-c existingStateMachineArn=arn:…]`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StateMachineWorkerStack } from './stack.ts';

const app = new App();
const existing = app.node.tryGetContext('existingStateMachineArn') as string | undefined;
new StateMachineWorkerStack(app, 'LongrunExports', {
  description: 'Longrun example: an existing state machine (startExecution.sync:2) behind the async task API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  existingStateMachineArn: existing,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
