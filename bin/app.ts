#!/usr/bin/env node
/**
 * CDK entry point: one stage of Longrun (bin/stages.ts), checked by cdk-nag's AwsSolutions rules.
 *   npx cdk synth                                   dev: the demo, where the CLI points (offline: environment-agnostic)
 *   npx cdk deploy -c stage=staging                 staging.account / staging.region / staging.runbookUrl from cdk.json or -c
 * Context: `stage` (default dev), and the stage's facts (see bin/stages.ts), e.g. `-c corsAllowOrigins=https://app.example.com`.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { LongrunStack } from '../lib/demo/longrun-stack.ts';
import { stackPropsOf, stageConfig, stageNameOf, targetFromContext } from './stages.ts';

const app = new App();
const stage = stageNameOf(app.node.tryGetContext('stage'));
const config = stageConfig(
  stage,
  targetFromContext((key) => app.node.tryGetContext(key), stage, true),
);
new LongrunStack(app, config.stackName, stackPropsOf(config, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION }));
// cdk-nag 3 is a policy validation plugin (no longer an Aspect); violations stop the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
