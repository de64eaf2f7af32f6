/**
 * A synthesized CloudFormation template, read for the local stack: an intrinsic-function resolver
 * with local values, and finders for the functions (and their code, in the cloud assembly's
 * assets), the table, the state machine, the API and the events rules. Nothing here knows the
 * stack's resource names: everything is discovered from the template.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

interface CfnResource {
  Type: string;
  Properties?: Record<string, any>;
  Metadata?: Record<string, any>;
  DependsOn?: string | string[];
  Condition?: string;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Parameters?: Record<string, { Type: string; Default?: any }>;
  Conditions?: Record<string, any>;
  Outputs?: Record<string, any>;
  [key: string]: unknown;
}

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

// ---------------------------------------------------------------------------------------------
// Local values and the intrinsic resolver

export interface LocalValues {
  region: string;
  account: string;
  stackName: string;
  /** Ref values by logical id (override the derived defaults). */
  refs: Record<string, string>;
  /** GetAtt values by `LogicalId.Attribute`. */
  attributes: Record<string, string>;
}

function physicalName(resource: CfnResource, logicalId: string, prop: string): string {
  const name = resource.Properties?.[prop];
  return typeof name === 'string' ? name : logicalId;
}

function functionArn(logicalId: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
  return `arn:aws:lambda:${region}:${account}:function:${logicalId}`;
}

/** Derives local Ref/GetAtt values for every resource of the template. */
export function localValues(template: CfnTemplate, overrides: Partial<LocalValues> = {}): LocalValues {
  const region = overrides.region ?? LOCAL_REGION;
  const account = overrides.account ?? LOCAL_ACCOUNT;
  const stackName = overrides.stackName ?? 'Longrun';
  const refs: Record<string, string> = {};
  const attributes: Record<string, string> = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::DynamoDB::GlobalTable': {
        const name = physicalName(resource, id, 'TableName');
        refs[id] = name;
        attributes[`${id}.Arn`] = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        attributes[`${id}.StreamArn`] = `arn:aws:dynamodb:${region}:${account}:table/${name}/stream/local`;
        break;
      }
      case 'AWS::Lambda::Function': {
        const name = id;
        refs[id] = name;
        attributes[`${id}.Arn`] = functionArn(name, region, account);
        break;
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = physicalName(resource, id, 'StateMachineName');
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        refs[id] = arn;
        attributes[`${id}.Arn`] = arn;
        attributes[`${id}.Name`] = name;
        break;
      }
      case 'AWS::IAM::Role': {
        const name = physicalName(resource, id, 'RoleName');
        refs[id] = name;
        attributes[`${id}.Arn`] = `arn:aws:iam::${account}:role/${name}`;
        attributes[`${id}.RoleId`] = `AROA${id.toUpperCase().slice(0, 16)}`;
        break;
      }
      case 'AWS::ApiGateway::RestApi': {
        const apiId =
          id
            .toLowerCase()
            .replace(/[^a-z0-9]/g, '')
            .slice(0, 10) || 'localapi';
        refs[id] = apiId;
        attributes[`${id}.RootResourceId`] = `${id}.RootResourceId`;
        attributes[`${id}.RestApiId`] = apiId;
        break;
      }
      case 'AWS::SQS::Queue': {
        const name = physicalName(resource, id, 'QueueName');
        refs[id] = `http://127.0.0.1/${account}/${name}`;
        attributes[`${id}.Arn`] = `arn:aws:sqs:${region}:${account}:${name}`;
        attributes[`${id}.QueueName`] = name;
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = physicalName(resource, id, 'TopicName');
        refs[id] = `arn:aws:sns:${region}:${account}:${name}`;
        attributes[`${id}.TopicArn`] = refs[id];
        break;
      }
      case 'AWS::S3::Bucket': {
        // S3 bucket names are lowercase; a generated name is too.
        const name = physicalName(resource, id, 'BucketName').toLowerCase();
        refs[id] = name;
        attributes[`${id}.Arn`] = `arn:aws:s3:::${name}`;
        attributes[`${id}.DomainName`] = `${name}.s3.amazonaws.com`;
        attributes[`${id}.RegionalDomainName`] = `${name}.s3.${region}.amazonaws.com`;
        break;
      }
      case 'AWS::Logs::LogGroup': {
        const name = physicalName(resource, id, 'LogGroupName');
        refs[id] = name;
        attributes[`${id}.Arn`] = `arn:aws:logs:${region}:${account}:log-group:${name}:*`;
        break;
      }
      case 'AWS::Events::Rule': {
        const name = physicalName(resource, id, 'Name');
        refs[id] = name;
        attributes[`${id}.Arn`] = `arn:aws:events:${region}:${account}:rule/${name}`;
        break;
      }
      default:
        refs[id] = id;
    }
  }
  // Versions and aliases name their function or state machine: the base resource's values are known now.
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const qualifier = qualifierOf(resource);
    const base = qualifier && baseOf(template, resource);
    if (!qualifier || !base) continue;
    const baseArn = resource.Type.startsWith('AWS::Lambda::') ? attributes[`${base}.Arn`] : refs[base];
    if (baseArn === undefined) continue;
    refs[id] = `${baseArn}:${qualifier.name}`;
    attributes[`${id}.Arn`] = refs[id];
    if (resource.Type === 'AWS::Lambda::Version') attributes[`${id}.Version`] = qualifier.name;
  }
  for (const [id, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) refs[id] = String(parameter.Default);
  }
  return {
    region,
    account,
    stackName,
    refs: { ...refs, ...overrides.refs },
    attributes: { ...attributes, ...overrides.attributes },
  };
}

/**
 * The qualifier of a Lambda or Step Functions version or alias, locally: an alias's name, and `1` for
 * a version (locally there is one code and one definition, whichever was published).
 */
function qualifierOf(resource: CfnResource): { name: string } | undefined {
  switch (resource.Type) {
    case 'AWS::Lambda::Version':
    case 'AWS::StepFunctions::StateMachineVersion':
      return { name: '1' };
    case 'AWS::Lambda::Alias':
    case 'AWS::StepFunctions::StateMachineAlias':
      return { name: String(resource.Properties?.Name ?? 'alias') };
    default:
      return undefined;
  }
}

/** The logical id of the function or state machine a version or alias qualifies. */
function baseOf(template: CfnTemplate, resource: CfnResource): string | undefined {
  const first = (value: unknown): string | undefined => referencedLogicalIds(value).values().next().value;
  switch (resource.Type) {
    case 'AWS::Lambda::Version':
    case 'AWS::Lambda::Alias':
      return first(resource.Properties?.FunctionName);
    case 'AWS::StepFunctions::StateMachineVersion':
      return first(resource.Properties?.StateMachineArn);
    case 'AWS::StepFunctions::StateMachineAlias': {
      // An alias names versions (its routing or deployment preference, next to alarms), not the state machine.
      const refs = referencedLogicalIds([resource.Properties?.DeploymentPreference, resource.Properties?.RoutingConfiguration]);
      const version = [...refs].map((id) => template.Resources[id]).find((r) => r?.Type === 'AWS::StepFunctions::StateMachineVersion');
      return version && first(version.Properties?.StateMachineArn);
    }
    default:
      return undefined;
  }
}

/**
 * The logical id of the Lambda function a value designates: the function itself, or a version or an
 * alias of it (`Ref`, `Fn::GetAtt`, or inside an `Fn::Join`, e.g. an integration URI).
 */
export function functionBehind(template: CfnTemplate, value: unknown): string | undefined {
  for (const id of referencedLogicalIds(value)) {
    const resource = template.Resources[id];
    if (resource?.Type === 'AWS::Lambda::Function') return id;
    if (resource?.Type === 'AWS::Lambda::Version' || resource?.Type === 'AWS::Lambda::Alias') {
      const fn = [...referencedLogicalIds(resource.Properties?.FunctionName)].find(
        (ref) => template.Resources[ref]?.Type === 'AWS::Lambda::Function',
      );
      if (fn) return fn;
    }
  }
  return undefined;
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`,
 * `Fn::Split`, `Fn::If`, `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Fn::Base64`,
 * `Fn::FindInMap`) with local values. Unknown references throw, so nothing silently stays a token.
 */
export function resolveIntrinsics(value: unknown, values: LocalValues, template?: CfnTemplate): any {
  const result = resolveInner(value, values, template);
  return result === NO_VALUE ? undefined : result;
}

function pseudo(name: string, values: LocalValues): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return values.region;
    case 'AWS::AccountId':
      return values.account;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return values.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${values.region}:${values.account}:stack/${values.stackName}/local`;
    case 'AWS::NotificationARNs':
      return '';
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function refValue(name: string, values: LocalValues): string | typeof NO_VALUE {
  const p = pseudo(name, values);
  if (p !== undefined) return p;
  const r = values.refs[name];
  if (r === undefined) throw new Error(`Cannot resolve { Ref: ${name} }`);
  return r;
}

function getAttValue(logicalId: string, attribute: string, values: LocalValues): string {
  const v = values.attributes[`${logicalId}.${attribute}`];
  if (v === undefined) {
    if (values.refs[logicalId] === undefined) throw new Error(`Cannot resolve { Fn::GetAtt: ${logicalId}.${attribute} }`);
    return `${logicalId}.${attribute}`;
  }
  return v;
}

function evaluateCondition(name: string, values: LocalValues, template?: CfnTemplate): boolean {
  const condition = template?.Conditions?.[name];
  if (condition === undefined) throw new Error(`Unknown condition ${name}`);
  return Boolean(resolveInner(condition, values, template));
}

function resolveInner(value: unknown, values: LocalValues, template?: CfnTemplate): any {
  if (Array.isArray(value)) {
    return value.map((v) => resolveInner(v, values, template)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const key = keys[0]!;
    const arg = obj[key];
    const r = (v: unknown): any => resolveInner(v, values, template);
    switch (key) {
      case 'Ref':
        return refValue(String(arg), values);
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return getAttValue(id!, attr.join('.'), values);
      }
      case 'Fn::Join': {
        const [sep, list] = arg as [string, unknown];
        const items = r(list) as unknown[];
        return items.map((i) => String(i)).join(sep);
      }
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
        const localVars = r(vars ?? {}) as Record<string, unknown>;
        return text.replace(/\$\{([^}]*)\}/g, (_match, expr: string) => {
          // biome-ignore lint/style/useTemplate: builds a literal `${name}`, which a template literal would have to escape
          if (expr.startsWith('!')) return '${' + expr.slice(1) + '}';
          if (expr in localVars) return String(localVars[expr]);
          if (expr.includes('.') && !expr.startsWith('AWS::')) {
            const [id, ...attr] = expr.split('.');
            return getAttValue(id!, attr.join('.'), values);
          }
          const v = refValue(expr, values);
          return v === NO_VALUE ? '' : v;
        });
      }
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        const items = r(list) as unknown[];
        return items[Number(r(index))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(r(text)).split(sep);
      }
      case 'Fn::Base64':
        return Buffer.from(String(r(arg))).toString('base64');
      case 'Fn::If': {
        const [cond, whenTrue, whenFalse] = arg as [string, unknown, unknown];
        return evaluateCondition(cond, values, template) ? r(whenTrue) : r(whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(r(a)) === JSON.stringify(r(b));
      }
      case 'Fn::Not':
        return !r((arg as unknown[])[0]);
      case 'Fn::And':
        return (arg as unknown[]).every((c) => r(c));
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => r(c));
      case 'Condition':
        return evaluateCondition(String(arg), values, template);
      case 'Fn::FindInMap': {
        const [map, k1, k2] = (arg as unknown[]).map((x) => r(x)) as [string, string, string];
        const mappings = (template?.Mappings ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
        const found = mappings[map]?.[k1]?.[k2];
        if (found === undefined) throw new Error(`Cannot resolve Fn::FindInMap ${map}.${k1}.${k2}`);
        return found;
      }
      case 'Fn::GetAZs':
        return [`${values.region}a`, `${values.region}b`, `${values.region}c`];
      case 'Fn::ImportValue':
        throw new Error('Fn::ImportValue is not supported locally');
      default:
        break;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const resolved = resolveInner(v, values, template);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Finders

function resourcesOfType(template: CfnTemplate, ...types: string[]): [string, CfnResource][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => types.includes(r.Type));
}

function onlyOne<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`Expected exactly one ${what} in the template, found ${items.length}`);
  return items[0]!;
}

/** All logical ids referenced (Ref / GetAtt / Fn::Sub) anywhere inside a raw template value. */
export function referencedLogicalIds(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) referencedLogicalIds(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]!);
      else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^!}][^}.]*)(?:\.[^}]*)?\}/g)) out.add(m[1]!);
        if (Array.isArray(v)) referencedLogicalIds(v[1], out);
      } else referencedLogicalIds(v, out);
    }
  }
  return out;
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
