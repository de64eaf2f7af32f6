/**
 * A synthesized CloudFormation template, read for the local stack: its shape, the local values of
 * its references and attributes, and an intrinsic-function resolver. The resources the local stack
 * runs are found in ./template-resources.ts. Nothing here knows the stack's resource names.
 */

export interface CfnResource {
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

export function functionArn(logicalId: string, region = LOCAL_REGION, account = LOCAL_ACCOUNT): string {
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
