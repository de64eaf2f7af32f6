#!/usr/bin/env node
/**
 * CDK entry point: the Longrun demo stack, checked by cdk-nag's AwsSolutions rules.
 * Context: `corsAllowOrigins` (comma-separated origins, e.g. `-c corsAllowOrigins=https://app.example.com`).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LongrunStack } from '../lib/demo/longrun-stack.ts';

const app = new App();
const corsAllowOrigins = String(app.node.tryGetContext('corsAllowOrigins') ?? '')
  .split(',')
  .map((origin) => origin.trim())
  .filter(Boolean);
new LongrunStack(app, 'Longrun', {
  description: 'Longrun: long-running work behind an asynchronous HTTP API',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  ...(corsAllowOrigins.length > 0 && { api: { corsAllowOrigins } }),
});
// cdk-nag 3 is a policy validation plugin (no longer an Aspect); violations stop the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
