#!/usr/bin/env node
/**
 * The delivery pipeline's CDK app (bin/pipeline-stack.ts): `npx cdk deploy -a "npx tsx bin/pipeline.ts"`
 * once, from a machine with the toolchain account's credentials; after that the pipeline deploys itself.
 * Context (cdk.json or -c): pipeline.account, pipeline.region, pipeline.repository (owner/name),
 * pipeline.branch (default main), pipeline.connectionArn, and each stage's facts (bin/stages.ts):
 * staging.account, staging.region, staging.runbookUrl, prod.account, prod.region, prod.runbookUrl, …
 */
import { App } from 'aws-cdk-lib';
import { pipelineApp } from './pipeline-stack.ts';

pipelineApp(new App());
