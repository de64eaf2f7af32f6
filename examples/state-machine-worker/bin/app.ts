#!/usr/bin/env node
/** The state machine worker example's CDK app (cdk.json runs it); `-c existingStateMachineArn=arn:…` runs a machine you have. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ExportsStack } from '../lib/exports-stack.ts';

const app = new App();
const existing = app.node.tryGetContext('existingStateMachineArn') as string | undefined;
new ExportsStack(app, 'LongrunExports', {
  description: 'Longrun example: an existing state machine (startExecution.sync:2) behind the async task API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  existingStateMachineArn: existing,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
