/** Shared helpers for the CDK assertion tests: build the stack without bundling, read the template. */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LongrunStack, type LongrunStackProps } from '../../lib/demo/longrun-stack.ts';
import type { CfnTemplate } from '../../packages/local/src/template.ts';

/** cdk.json's context: the feature flags the CLI gives the app, so that tests synthesize what a deploy does. */
export const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> })
  .context;

/** An app with cdk.json's feature flags that skips esbuild for the demo's own functions (Longrun's come prebuilt). */
function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
}

/** Builds `LongrunStack` in a {@link testApp}. */
export function buildStack(props: LongrunStackProps = {}): { app: App; stack: LongrunStack; template: Template } {
  const app = testApp();
  const stack = new LongrunStack(app, 'Longrun', props);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The demo stack's template as JSON, as @longrun/local reads it. */
export function demoTemplate(props: LongrunStackProps = {}): CfnTemplate {
  return buildStack(props).template.toJSON() as CfnTemplate;
}

type Json = Record<string, unknown>;

/** Renders a CloudFormation value as text: `Ref` -> `<Id>`, `Fn::GetAtt` -> `<Id.Attr>`, `Fn::Join` joined. */
export function cfnText(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Json;
  if (v.Ref !== undefined) return `<${String(v.Ref)}>`;
  if (v['Fn::GetAtt'] !== undefined) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v['Fn::Join'] !== undefined) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(cfnText).join(sep);
  }
  if (v['Fn::Select'] !== undefined) return `<Select ${JSON.stringify(v['Fn::Select'])}>`;
  return JSON.stringify(value);
}

/** The demo worker's functions, by the name of their handler module in lib/demo/functions/. */
const DEMO_FUNCTIONS: Record<string, RegExp> = {
  'count-primes': /^DemoWorkerCountPrimesFunction[0-9A-F]{8}$/,
  'make-report': /^DemoWorkerMakeReportFunction[0-9A-F]{8}$/,
};

/** The name of a function: Longrun's own name it (`Longrun:Function` metadata, e.g. `submit-task`); the demo's by logical id. */
export function functionName(logicalId: string, resource: Json): string | undefined {
  const own = (resource.Metadata as Json | undefined)?.['Longrun:Function'];
  if (typeof own === 'string') return own;
  return Object.entries(DEMO_FUNCTIONS).find(([, pattern]) => pattern.test(logicalId))?.[0];
}

/** The logical id of the function named `name` (`submit-task`, `count-primes`, …). */
export function functionId(template: Template, name: string): string {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id, r]) => functionName(id, r as Json) === name);
  if (found.length !== 1) throw new Error(`expected one function named ${name}, found ${found.length}`);
  return found[0]![0];
}

/** The logical id of the `live` alias of the function named `name` (what API Gateway, event sources and rules invoke). */
export function aliasId(template: Template, name: string): string {
  const fnId = functionId(template, name);
  const found = Object.entries(template.findResources('AWS::Lambda::Alias')).filter(([, r]) =>
    JSON.stringify((r as Json).Properties).includes(`{"Ref":"${fnId}"}`),
  );
  if (found.length !== 1) throw new Error(`expected one alias of ${name}, found ${found.length}`);
  return found[0]![0];
}

export function tableId(template: Template): string {
  const ids = Object.keys(template.findResources('AWS::DynamoDB::Table'));
  if (ids.length !== 1) throw new Error(`expected one table, found ${ids.length}`);
  return ids[0]!;
}

/** The task workflow's state machine (`Longrun:StateMachine: tasks`), or the compensation workflow's. */
export function stateMachineId(template: Template, which: 'tasks' | 'compensation' = 'tasks'): string {
  const all = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
  const ids = all.filter(([, r]) => (r.Metadata?.['Longrun:StateMachine'] ?? 'tasks') === which).map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${which} state machine, found ${ids.length}`);
  return ids[0]!;
}

/** Every (action, resource) pair granted to the role of the function `functionId`, from AWS::IAM::Policy resources. */
/** One allowed action on one resource; `keys`: the partition keys it is limited to (`dynamodb:LeadingKeys`), if any. */
export interface Grant {
  action: string;
  resource: string;
  keys?: string[];
}

export function grantsOf(template: Template, functionId: string): Grant[] {
  const fn = template.toJSON().Resources[functionId] as Json;
  const roleArn = (fn.Properties as Json).Role as Json;
  const roleId = (roleArn['Fn::GetAtt'] as string[])[0];
  return grantsOfRole(template, roleId!);
}

export function grantsOfRole(template: Template, roleId: string): Grant[] {
  const out: Grant[] = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const props = (policy as Json).Properties as Json;
    const roles = (props.Roles as Json[]).map((r) => r.Ref);
    if (!roles.includes(roleId)) continue;
    for (const statement of (props.PolicyDocument as Json).Statement as Json[]) {
      if (statement.Effect !== 'Allow') continue;
      const actions = ([] as string[]).concat(statement.Action as string | string[]);
      const resources = ([] as unknown[]).concat(statement.Resource);
      const keys = ((statement.Condition as Json | undefined)?.['ForAllValues:StringLike'] as Json | undefined)?.['dynamodb:LeadingKeys'] as
        | string[]
        | undefined;
      for (const action of actions) for (const resource of resources) out.push({ action, resource: cfnText(resource), ...(keys && { keys }) });
    }
  }
  return out;
}

/** The state machine definition as an object, tokens replaced by `<Id>` / `<Id.Attr>` text. */
export function definitionOf(
  template: Template,
  which: 'tasks' | 'compensation' = 'tasks',
): { StartAt: string; States: Record<string, Json>; TimeoutSeconds?: number } {
  const sm = template.toJSON().Resources[stateMachineId(template, which)] as Json;
  return JSON.parse(cfnText((sm.Properties as Json).DefinitionString));
}

/** Every API Gateway method of the template, with the full path of its resource (`/tasks/{id}`). */
export function apiMethods(template: Template): Array<Record<string, any> & { path: string }> {
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
  const pathOf = (resourceId: string): string => {
    const r = resources[resourceId];
    if (r?.Type !== 'AWS::ApiGateway::Resource') return '';
    const parent = r.Properties.ParentId as { Ref?: string };
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${r.Properties.PathPart}`;
  };
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::ApiGateway::Method')
    .map((r) => ({ path: pathOf((r.Properties.ResourceId as { Ref: string }).Ref), ...r.Properties }));
}
