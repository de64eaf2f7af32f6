#!/usr/bin/env node
/** The Lambda worker example's CDK app (cdk.json runs it): one stack, checked by cdk-nag. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ReportsStack } from '../lib/reports-stack.ts';

const app = new App();
new ReportsStack(app, 'LongrunReports', {
  description: 'Longrun example: a Lambda worker (monthly reports) behind the async task API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
