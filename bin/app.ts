#!/usr/bin/env node
/** CDK entry point: the Longrun stack, checked by cdk-nag's AwsSolutions rules. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LongrunStack } from '../lib/longrun-stack.ts';

const app = new App();
new LongrunStack(app, 'Longrun', {
  description: 'Longrun: long-running work behind an asynchronous HTTP API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag 3 is a policy validation plugin (no longer an Aspect); violations stop the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
