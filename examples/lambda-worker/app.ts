#!/usr/bin/env node
/** CDK app of the Lambda worker example: `npx cdk deploy --app 'npx tsx examples/lambda-worker/app.ts'`. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LambdaWorkerStack } from './stack.ts';

const app = new App();
new LambdaWorkerStack(app, 'LongrunReports', {
  description: 'Longrun example: a Lambda worker (monthly reports) behind the async task API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
