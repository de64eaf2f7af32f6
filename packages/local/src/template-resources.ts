/**
 * The resources of a synthesized template the local stack runs, found by type and references: the
 * functions (and their code, in the cloud assembly's assets), the table, the buckets, the state
 * machines, the events rules and the REST API.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  type CfnResource,
  type CfnTemplate,
  functionArn,
  functionBehind,
  type LocalValues,
  referencedLogicalIds,
  resolveIntrinsics,
} from './template.ts';

function resourcesOfType(template: CfnTemplate, ...types: string[]): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => types.includes(r.Type));
}

function onlyOne<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`Expected exactly one ${what} in the template, found ${items.length}`);
  return items[0]!;
}

export interface LocalFunction {
  logicalId: string;
  /** A short name for logs: the construct's own name for its function, else its construct path. */
  label: string;
  /** The handler module: `Handler` (`index.handler`) resolved in the function's asset directory. */
  file: string;
  /** The handler's export name (`index.handler` -> `handler`). */
  handlerExport: string;
  functionName: string;
  arn: string;
  timeoutSeconds: number;
  memorySize: number;
  /** `ReservedConcurrentExecutions`, if set. */
  reservedConcurrency?: number;
  /** Environment variables with intrinsics resolved to local values. */
  environment: Record<string, string>;
}

/** Metadata CDK writes on a resource whose code is an asset (with `aws:cdk:enable-asset-metadata`). */
const ASSET_PATH_METADATA = 'aws:asset:path';
const HANDLER_EXTENSIONS = ['.mjs', '.js', '.cjs'];

/** The handler module a `Handler` setting names in an asset directory, as the Node.js runtime finds it. */
function handlerFile(assetDir: string, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  for (const extension of HANDLER_EXTENSIONS) {
    const file = join(assetDir, `${base}${extension}`);
    if (existsSync(file)) return file;
  }
  throw new Error(`no ${base}${HANDLER_EXTENSIONS.join('/')} in ${assetDir} for the handler ${handler}`);
}

/** `submit-task` (Longrun's functions name themselves), else `DemoWorker/CountPrimesFunction` from the construct path. */
function labelOf(logicalId: string, resource: CfnResource): string {
  const own = resource.Metadata?.['Longrun:Function'];
  if (typeof own === 'string') return own;
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return logicalId;
  return path.split('/').slice(1, -1).slice(-2).join('/') || logicalId;
}

/**
 * Every Node.js Lambda function whose code is an asset of the cloud assembly in `assemblyDir`
 * (functions with inline code, such as CDK's own custom resource providers, are left out).
 */
export function findFunctions(template: CfnTemplate, values: LocalValues, assemblyDir: string): LocalFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function')
    .filter(([, r]) => typeof r.Metadata?.[ASSET_PATH_METADATA] === 'string' && String(r.Properties?.Runtime ?? '').startsWith('nodejs'))
    .map(([logicalId, r]) => {
      const env = resolveIntrinsics(r.Properties?.Environment?.Variables ?? {}, values, template) as Record<string, unknown>;
      const handler = String(r.Properties?.Handler ?? 'index.handler');
      const assetPath = r.Metadata![ASSET_PATH_METADATA] as string;
      const reserved = r.Properties?.ReservedConcurrentExecutions;
      return {
        logicalId,
        label: labelOf(logicalId, r),
        file: handlerFile(isAbsolute(assetPath) ? assetPath : join(assemblyDir, assetPath), handler),
        handlerExport: handler.slice(handler.lastIndexOf('.') + 1),
        functionName: values.refs[logicalId] ?? logicalId,
        arn: values.attributes[`${logicalId}.Arn`] ?? functionArn(logicalId, values.region, values.account),
        timeoutSeconds: Number(r.Properties?.Timeout ?? 3),
        memorySize: Number(r.Properties?.MemorySize ?? 128),
        ...(reserved !== undefined && { reservedConcurrency: Number(reserved) }),
        environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
      };
    });
}

export interface TableDefinition {
  logicalId: string;
  type: 'AWS::DynamoDB::Table' | 'AWS::DynamoDB::GlobalTable';
  tableName: string;
  /** Resolved properties as written in the template. */
  properties: Record<string, any>;
}

export function findTable(template: CfnTemplate, values: LocalValues): TableDefinition {
  const [logicalId, r] = onlyOne(resourcesOfType(template, 'AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'), 'DynamoDB table');
  return {
    logicalId,
    type: r.Type as TableDefinition['type'],
    tableName: values.refs[logicalId] ?? logicalId,
    properties: resolveIntrinsics(r.Properties ?? {}, values, template),
  };
}

export interface BucketDefinition {
  name: string;
  /** `CorsConfiguration.CorsRules` as written in the template, if any. */
  corsRules?: Array<{ AllowedOrigins: string[]; AllowedMethods: string[]; AllowedHeaders?: string[]; MaxAge?: number }>;
}

/** Every S3 bucket in the template (the local S3 creates them). */
export function findBuckets(template: CfnTemplate, values: LocalValues): BucketDefinition[] {
  return resourcesOfType(template, 'AWS::S3::Bucket').map(([logicalId, r]) => ({
    name: values.refs[logicalId] ?? logicalId.toLowerCase(),
    ...(r.Properties?.CorsConfiguration?.CorsRules && { corsRules: resolveIntrinsics(r.Properties.CorsConfiguration.CorsRules, values, template) }),
  }));
}

export interface StateMachineDefinitionInfo {
  logicalId: string;
  name: string;
  arn: string;
  /** The ASL with every token resolved. */
  definition: Record<string, any>;
  /** `EXPRESS` or `STANDARD` (the template's `StateMachineType`, Standard when absent). */
  type: 'STANDARD' | 'EXPRESS';
}

/** The stack's state machines, the task workflow first (`Longrun:StateMachine` metadata says which is which; one alone is it). */
export function findStateMachines(template: CfnTemplate, values: LocalValues): StateMachineDefinitionInfo[] {
  const all = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  if (all.length === 0) throw new Error('The template has no state machine');
  const role = ([, r]: [string, CfnResource]) => r.Metadata?.['Longrun:StateMachine'] as string | undefined;
  const main = all.length === 1 ? all[0]! : all.find((entry) => role(entry) === 'tasks');
  if (!main) throw new Error(`The template has ${all.length} state machines and none is marked as the task workflow (Longrun:StateMachine metadata)`);
  return [main, ...all.filter((entry) => entry !== main)].map(([logicalId, r]) => stateMachineInfo(logicalId, r, values, template));
}

/** The task workflow's state machine. */
export function findStateMachine(template: CfnTemplate, values: LocalValues): StateMachineDefinitionInfo {
  return findStateMachines(template, values)[0]!;
}

function stateMachineInfo(logicalId: string, r: CfnResource, values: LocalValues, template: CfnTemplate): StateMachineDefinitionInfo {
  const props = r.Properties ?? {};
  let definition: Record<string, any>;
  if (props.DefinitionString !== undefined) {
    let text = String(resolveIntrinsics(props.DefinitionString, values, template));
    const substitutions = resolveIntrinsics(props.DefinitionSubstitutions ?? {}, values, template) as Record<string, unknown>;
    // biome-ignore lint/style/useTemplate: builds a literal `${name}`, which a template literal would have to escape
    for (const [k, v] of Object.entries(substitutions)) text = text.split('${' + k + '}').join(String(v));
    definition = JSON.parse(text);
  } else if (props.Definition !== undefined) {
    definition = resolveIntrinsics(props.Definition, values, template);
  } else {
    throw new Error(`State machine ${logicalId} has no inline definition`);
  }
  return {
    logicalId,
    name: values.attributes[`${logicalId}.Name`] ?? logicalId,
    arn: values.refs[logicalId]!,
    definition,
    type: props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  };
}

export interface EventsRuleTarget {
  ruleLogicalId: string;
  eventPattern: Record<string, any>;
  /** The target Lambda function's logical id. */
  functionLogicalId: string;
}

/** Events rules that target a Lambda function of the template. */
export function findEventsRuleTargets(template: CfnTemplate): EventsRuleTarget[] {
  const out: EventsRuleTarget[] = [];
  for (const [ruleId, r] of resourcesOfType(template, 'AWS::Events::Rule')) {
    for (const target of (r.Properties?.Targets ?? []) as Array<Record<string, unknown>>) {
      const id = functionBehind(template, target.Arn);
      if (id) out.push({ ruleLogicalId: ruleId, eventPattern: r.Properties?.EventPattern ?? {}, functionLogicalId: id });
    }
  }
  return out;
}

export interface ApiMethod {
  logicalId: string;
  httpMethod: string;
  apiKeyRequired: boolean;
  authorizationType: string;
  integrationType: string;
  /** For AWS_PROXY: the Lambda function's logical id. */
  functionLogicalId?: string;
  /** For MOCK: the raw integration (request/response templates). */
  integration: Record<string, any>;
  methodResponses: Array<Record<string, any>>;
}

export interface ApiResource {
  /** Resource path below the stage, e.g. `/tasks/{id}`. */
  path: string;
  methods: ApiMethod[];
}

export interface GatewayResponseDefinition {
  responseType: string;
  statusCode?: string;
  responseParameters: Record<string, string>;
  responseTemplates: Record<string, string>;
}

export interface ApiDefinition {
  restApiLogicalId: string;
  apiId: string;
  stageName: string;
  resources: ApiResource[];
  gatewayResponses: GatewayResponseDefinition[];
}

export function findApi(template: CfnTemplate, values: LocalValues): ApiDefinition {
  const [apiId, api] = onlyOne(resourcesOfType(template, 'AWS::ApiGateway::RestApi'), 'REST API');
  void api;
  const belongs = (r: CfnResource): boolean => referencedLogicalIds(r.Properties?.RestApiId).has(apiId);
  const rootRef = (v: unknown): boolean => {
    const ids = referencedLogicalIds(v);
    return ids.has(apiId) && !!v && typeof v === 'object' && 'Fn::GetAtt' in (v as object);
  };

  const resources = resourcesOfType(template, 'AWS::ApiGateway::Resource').filter(([, r]) => belongs(r));
  const paths = new Map<string, string>();
  const pathOf = (logicalId: string, depth = 0): string => {
    const known = paths.get(logicalId);
    if (known !== undefined) return known;
    if (depth > 50) throw new Error('API resource tree too deep');
    const r = template.Resources[logicalId];
    if (!r) throw new Error(`Unknown API resource ${logicalId}`);
    const parent = r.Properties?.ParentId;
    const parentPath = rootRef(parent) ? '' : pathOf(String(referencedLogicalIds(parent).values().next().value), depth + 1);
    const path = `${parentPath}/${r.Properties?.PathPart}`;
    paths.set(logicalId, path);
    return path;
  };
  const byPath = new Map<string, ApiResource>();
  byPath.set('/', { path: '/', methods: [] });
  for (const [id] of resources) {
    const path = pathOf(id);
    byPath.set(path, { path, methods: [] });
  }

  for (const [id, r] of resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => belongs(r))) {
    const p = r.Properties ?? {};
    const path = rootRef(p.ResourceId) ? '/' : pathOf(String(referencedLogicalIds(p.ResourceId).values().next().value));
    const integration = (p.Integration ?? {}) as Record<string, any>;
    const fnId = functionBehind(template, integration.Uri);
    byPath.get(path)!.methods.push({
      logicalId: id,
      httpMethod: String(p.HttpMethod).toUpperCase(),
      apiKeyRequired: p.ApiKeyRequired === true || p.ApiKeyRequired === 'true',
      authorizationType: String(p.AuthorizationType ?? 'NONE'),
      integrationType: String(integration.Type ?? 'MOCK'),
      functionLogicalId: fnId,
      integration: resolveIntrinsics(integration, values, template),
      methodResponses: resolveIntrinsics(p.MethodResponses ?? [], values, template),
    });
  }

  const gatewayResponses = resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')
    .filter(([, r]) => belongs(r))
    .map(([, r]) => {
      const p = resolveIntrinsics(r.Properties ?? {}, values, template);
      return {
        responseType: String(p.ResponseType),
        statusCode: p.StatusCode === undefined ? undefined : String(p.StatusCode),
        responseParameters: p.ResponseParameters ?? {},
        responseTemplates: p.ResponseTemplates ?? {},
      };
    });

  const stageNames = [
    ...resourcesOfType(template, 'AWS::ApiGateway::Stage')
      .filter(([, r]) => belongs(r))
      .map(([, r]) => r.Properties?.StageName),
    ...resourcesOfType(template, 'AWS::ApiGateway::Deployment')
      .filter(([, r]) => belongs(r))
      .map(([, r]) => r.Properties?.StageName),
  ].filter((s): s is string => typeof s === 'string');

  return {
    restApiLogicalId: apiId,
    apiId: values.refs[apiId] ?? apiId,
    stageName: stageNames[0] ?? 'v1',
    resources: [...byPath.values()].filter((r) => r.methods.length > 0 || r.path === '/'),
    gatewayResponses,
  };
}
