/**
 * The demo stack's template as a deploy would synthesize it (cdk.json's feature flags), without
 * bundling the demo worker: what the checks under scripts/ read.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LongrunStack, type LongrunStackProps } from '../lib/demo/longrun-stack.ts';

const CDK_JSON = new URL('../cdk.json', import.meta.url);

/** The template of `LongrunStack` (construct defaults unless `props` say otherwise). */
export function demoTemplate(props: LongrunStackProps = {}): Template {
  const { context } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new LongrunStack(app, 'Longrun', props));
}
