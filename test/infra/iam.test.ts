import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../lambdas/api/routes.ts';
import { LongrunStack } from '../../lib/demo/longrun-stack.ts';
import { aliasId, buildStack, cfnText, functionId, grantsOf, grantsOfRole, stateMachineId, tableId } from './fixture.ts';

const { template } = buildStack();
const table = tableId(template);
const stateMachine = stateMachineId(template);
const compensation = stateMachineId(template, 'compensation');
/** The Express state machine of the demo's short task type: started by submit, retry and the sweeper, never described or stopped. */
const express = Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(
  ([, r]) => r.Properties.StateMachineType === 'EXPRESS',
)![0];
const TABLE = `<${table}.Arn>`;
const INDEX = `<${table}.Arn>/index/tasksByOwner`;
const scheduleGroup = Object.keys(template.findResources('AWS::Scheduler::ScheduleGroup'))[0]!;
const schedulerRole = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes('SchedulerRole'))!;
/** What a function that starts attempts gets: create deadline schedules in the group, and hand them the scheduler role. */
const SCHEDULING = [
  `scheduler:CreateSchedule arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${scheduleGroup}>/*`,
  `iam:PassRole <${schedulerRole}.Arn>`,
];
const bucket = Object.keys(template.findResources('AWS::S3::Bucket'))[0]!;
const RESULTS = `<${bucket}.Arn>/results/*`;
const EXECUTIONS = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachine}.Name>:*`;
/** What every function may do besides its own grants: write its log group, send traces. */
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

function queueId(part: string): string {
  const id = Object.keys(template.findResources('AWS::SQS::Queue')).find((q) => q.includes(part));
  if (!id) throw new Error(`no queue ${part}`);
  return id;
}

function grants(entry: string) {
  return grantsOf(template, functionId(template, entry));
}

/** The grants that are not the baseline, as sorted `action resource [keys …]` lines. */
function ownGrants(entry: string): string[] {
  return grants(entry)
    .filter((g) => !BASELINE.includes(g.action))
    .map((g) => `${g.action} ${g.resource}${g.keys ? ` keys ${g.keys.join(',')}` : ''}`)
    .sort();
}
/** Writing and freeing held-connection leases (their own `held#…` items, never a task). */
const LEASES = [`dynamodb:DeleteItem ${TABLE} keys held#*`, `dynamodb:PutItem ${TABLE} keys held#*`];
/** Task rows only, as `dynamodb:LeadingKeys` names them (ids are UUIDv7). */
const TASK_KEYS = '????????-????-7???-????-????????????';
const liveApi = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0]!;
/** ManageConnections on the live channel's connections, for one method of its management API. */
const connectionsOf = (method: string) => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${liveApi}>/v1/${method}/@connections/*`;

describe('least privilege', () => {
  it.each([
    [
      'submit-task',
      [
        `dynamodb:DeleteItem ${TABLE}`,
        `dynamodb:GetItem ${TABLE}`,
        `dynamodb:PutItem ${TABLE}`,
        `dynamodb:UpdateItem ${TABLE}`,
        `states:StartExecution <${stateMachine}>`,
        `states:StartExecution <${express}>`,
        ...SCHEDULING,
        // Prefer: wait on submit holds its connection: lease items.
        ...LEASES,
      ],
    ],
    ['get-task', [`dynamodb:GetItem ${TABLE}`, `dynamodb:Query ${INDEX}`, ...LEASES]],
    ['get-task-history', [`dynamodb:GetItem ${TABLE}`]],
    ['get-task-result', [`dynamodb:GetItem ${TABLE}`, `dynamodb:Query ${INDEX}`, `s3:GetObject ${RESULTS}`, ...LEASES]],
    ['task-events', [`dynamodb:GetItem ${TABLE}`, `dynamodb:Query ${INDEX}`, ...LEASES]],
    ['list-tasks', [`dynamodb:Query ${INDEX}`]],
    // A purge deletes the stored result.
    ['cancel-task', [`dynamodb:UpdateItem ${TABLE}`, `states:StopExecution ${EXECUTIONS}`, `s3:DeleteObject ${RESULTS}`]],
    [
      'retry-task',
      [
        `dynamodb:GetItem ${TABLE}`,
        `dynamodb:UpdateItem ${TABLE}`,
        `states:StartExecution <${stateMachine}>`,
        `states:StartExecution <${express}>`,
        `states:StopExecution ${EXECUTIONS}`,
        ...SCHEDULING,
      ],
    ],
    ['send-input', [`dynamodb:GetItem ${TABLE}`, `dynamodb:UpdateItem ${TABLE}`, `states:SendTaskSuccess <${stateMachine}>`]],
    ['send-input-by-capability', [`dynamodb:GetItem ${TABLE}`, `dynamodb:UpdateItem ${TABLE}`, `states:SendTaskSuccess <${stateMachine}>`]],
    ['expire-task', [`dynamodb:UpdateItem ${TABLE}`, `states:StopExecution ${EXECUTIONS}`]],
    ['await-input', [`dynamodb:UpdateItem ${TABLE}`]],
    ['get-webhook-secret', [`dynamodb:GetItem ${TABLE}`, `dynamodb:PutItem ${TABLE}`, `dynamodb:UpdateItem ${TABLE}`]],
    ['rotate-webhook-secret', [`dynamodb:GetItem ${TABLE}`, `dynamodb:PutItem ${TABLE}`, `dynamodb:UpdateItem ${TABLE}`]],
    [
      'reconcile-execution',
      [`dynamodb:UpdateItem ${TABLE}`, `sqs:SendMessage <${queueId('ReconcileFailureQueue')}.Arn>`, `states:StartExecution <${compensation}>`],
    ],
    [
      'sweep-tasks',
      [
        `dynamodb:GetItem ${TABLE}`,
        `dynamodb:Query <${table}.Arn>/index/openTasks`,
        `dynamodb:UpdateItem ${TABLE}`,
        `states:DescribeExecution ${EXECUTIONS}`,
        `states:StartExecution <${stateMachine}>`,
        `states:StartExecution <${express}>`,
        `states:StopExecution ${EXECUTIONS}`,
        `states:StartExecution <${compensation}>`,
        ...SCHEDULING,
      ],
    ],
    // Conditioned on the progress attributes and task keys (test/infra/props.test.ts).
    ['count-primes', [`dynamodb:UpdateItem ${TABLE} keys ????????-????-7???-????-????????????`]],
    ['make-report', [`s3:PutObject ${RESULTS}`]],
    // The live channel (lib/task-api/live.ts): its own `live#…` items, leases, the task rows it reads, and its API's connections.
    ['create-watch-token', [`dynamodb:GetItem ${TABLE} keys ${TASK_KEYS}`, `dynamodb:PutItem ${TABLE} keys live#*`]],
    [
      'live-connect',
      [
        `dynamodb:GetItem ${TABLE} keys live#*`,
        `dynamodb:PutItem ${TABLE} keys live#*`,
        `dynamodb:BatchGetItem ${TABLE} keys held#*`,
        ...LEASES,
        `execute-api:ManageConnections ${connectionsOf('GET')}`,
      ],
    ],
    [
      'live-subscribe',
      [
        `dynamodb:GetItem ${TABLE} keys ${TASK_KEYS},live#*`,
        `dynamodb:UpdateItem ${TABLE} keys live#*`,
        // Conditioned on the follow mark's attributes (test/infra/live.test.ts).
        `dynamodb:UpdateItem ${TABLE} keys ${TASK_KEYS}`,
      ],
    ],
    [
      'live-disconnect',
      [
        `dynamodb:BatchGetItem ${TABLE} keys live#*`,
        `dynamodb:DeleteItem ${TABLE} keys live#*`,
        `dynamodb:GetItem ${TABLE} keys live#*`,
        `dynamodb:UpdateItem ${TABLE} keys live#*`,
        `dynamodb:DeleteItem ${TABLE} keys held#*`,
      ],
    ],
  ])('%s is granted exactly its own actions', (entry, expected) => {
    expect(ownGrants(entry)).toEqual([...expected].sort());
  });

  it('any other route function (e.g. the OpenAPI document) has the baseline only', () => {
    const known = [
      'submit-task',
      'get-task',
      'get-task-result',
      'task-events',
      'list-tasks',
      'cancel-task',
      'get-webhook-secret',
      'rotate-webhook-secret',
      'create-watch-token',
      'retry-task',
      'send-input',
      'send-input-by-capability',
      'get-task-history',
    ];
    for (const route of ROUTES.filter((r) => !known.includes(r.handler))) {
      expect(ownGrants(route.handler)).toEqual([]);
    }
  });

  it.each(ROUTES.map((r) => r.handler))('%s has the baseline only on its own log group and X-Ray', (handler) => {
    const entry = handler;
    const fnId = functionId(template, entry);
    const logGroup = template.toJSON().Resources[fnId].Properties.LoggingConfig.LogGroup.Ref as string;
    const base = grants(entry).filter((g) => BASELINE.includes(g.action));
    expect(base.map((g) => g.action).sort()).toEqual(BASELINE);
    for (const g of base) expect(g.resource).toBe(g.action.startsWith('logs:') ? `<${logGroup}.Arn>` : '*');
  });

  it('the progress grant is conditioned: only progress attributes, only task rows, no item returned', () => {
    const fnId = functionId(template, 'count-primes');
    const roleId = template.toJSON().Resources[fnId].Properties.Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => String(s.Action).startsWith('dynamodb:'));
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).not.toContain('owner');
    expect(statements[0].Condition['ForAllValues:StringEquals']['dynamodb:Attributes']).not.toContain('result');
    expect(Object.keys(statements[0].Condition).sort()).toEqual(['ForAllValues:StringEquals', 'ForAllValues:StringLike', 'StringEqualsIfExists']);
  });

  it('only the result route reads stored results, only workers that need it write them, only a purge deletes them', () => {
    const s3Grants = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: { Action: unknown; Resource: unknown }) => ([] as string[]).concat(s.Action as string).map((a) => `${a} ${cfnText(s.Resource)}`))
      .filter((g: string) => g.startsWith('s3:'))
      .sort();
    expect(s3Grants).toEqual([`s3:DeleteObject ${RESULTS}`, `s3:GetObject ${RESULTS}`, `s3:PutObject ${RESULTS}`]);
  });

  it('submit may not stop executions; reads write nothing but their leases; no action is a wildcard', () => {
    expect(grants('submit-task').map((g) => g.action)).not.toContain('states:StopExecution');
    for (const entry of ['get-task', 'get-task-result', 'task-events', 'list-tasks']) {
      const writes = grants(entry).filter((g) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite)/.test(g.action));
      for (const write of writes) expect(write.keys, `${entry} ${write.action}`).toEqual(['held#*']);
      expect(grants(entry).filter((g) => g.action.startsWith('states:'))).toEqual([]);
    }
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [].concat(statement.Action)) expect(action).not.toContain('*');
      }
    }
  });

  it('no role carries a managed policy (no AWSLambdaBasicExecutionRole), but the account log role and the CodeDeploy role', () => {
    const managed = Object.entries(template.findResources('AWS::IAM::Role'))
      .filter(([, role]) => role.Properties.ManagedPolicyArns !== undefined)
      .map(([, role]) => ({
        service: role.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service,
        policies: role.Properties.ManagedPolicyArns.map(cfnText),
      }));
    expect(managed).toEqual([
      { service: 'apigateway.amazonaws.com', policies: ['arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs'] },
      { service: 'codedeploy.amazonaws.com', policies: ['arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'] },
    ]);
  });

  it('the state machine may update the table and invoke the versions of the worker functions it names (and the await-input function: its live alias, the function for older versions) only', () => {
    const smRole = template.toJSON().Resources[stateMachine].Properties.RoleArn['Fn::GetAtt'][0] as string;
    const versionOf = (name: string): string => {
      const fnId = functionId(template, name);
      return Object.entries(template.findResources('AWS::Lambda::Version')).find(([, v]) => v.Properties.FunctionName.Ref === fnId)![0];
    };
    const awaitInput = aliasId(template, 'await-input');
    const own = grantsOfRole(template, smRole)
      .filter((g) => g.resource !== '*')
      .map((g) => `${g.action} ${g.resource}`)
      .sort();
    expect(own).toEqual(
      [
        // DynamoUpdateItem grants the table by a formatted ARN rather than its Arn attribute.
        `dynamodb:UpdateItem arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/<${table}>`,
        `lambda:InvokeFunction <${versionOf('count-primes')}>`,
        `lambda:InvokeFunction <${versionOf('make-report')}>`,
        `lambda:InvokeFunction <${awaitInput}>`,
        // Versions published before the alias named the function itself.
        `lambda:InvokeFunction <${functionId(template, 'await-input')}.Arn>`,
      ].sort(),
    );
  });

  it('the compensation state machine may update the table only', () => {
    const role = template.toJSON().Resources[compensation].Properties.RoleArn['Fn::GetAtt'][0] as string;
    const own = grantsOfRole(template, role)
      .filter((g) => g.resource !== '*')
      .map((g) => `${g.action} ${g.resource}`);
    expect(own).toEqual([`dynamodb:UpdateItem arn:<AWS::Partition>:dynamodb:<AWS::Region>:<AWS::AccountId>:table/<${table}>`]);
  });

  it('EventBridge Scheduler may invoke the expire function (its live alias; the function for older schedules) only, and only for this account', () => {
    expect(
      grantsOfRole(template, schedulerRole)
        .map((g) => `${g.action} ${g.resource}`)
        .sort(),
    ).toEqual(
      [
        `lambda:InvokeFunction <${aliasId(template, 'expire-task')}>`,
        // Schedules made before the alias named the function itself.
        `lambda:InvokeFunction <${functionId(template, 'expire-task')}.Arn>`,
      ].sort(),
    );
    const trust = template.toJSON().Resources[schedulerRole].Properties.AssumeRolePolicyDocument.Statement[0];
    expect(trust).toMatchObject({
      Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('a role is passed to EventBridge Scheduler only', () => {
    const passRole = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: unknown }) => ([] as unknown[]).concat(s.Action).includes('iam:PassRole'));
    expect(passRole.length).toBe(3);
    for (const statement of passRole) expect(statement.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });
});

/** Actions that support no resource-level permissions, so `*` is their only possible resource. */
const RESOURCELESS_ACTIONS = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/**
 * Every granted (action, resource) whose resource holds a `*` and is not scoped to the table, its
 * index, the state machine, its executions, the live channel's connections, or a function's versions (`<fn.Arn>:*`, as the
 * LambdaInvoke task grants it); `*` alone only for actions without resource-level permissions.
 */
function wildcardViolations(t: Template): string[] {
  const tbl = tableId(t);
  const sm = stateMachineId(t);
  const allowed = [
    `<${tbl}.Arn>`,
    `<${tbl}.Arn>/index/tasksByOwner`,
    `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${sm}.Name>:*`,
    ...Object.keys(t.findResources('AWS::Scheduler::ScheduleGroup')).map(
      (id) => `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${id}>/*`,
    ),
    ...Object.keys(t.findResources('AWS::S3::Bucket')).map((id) => `<${id}.Arn>/results/*`),
    // The connections of the live channel's stage, by management method (connection ids exist only at run time).
    ...Object.keys(t.findResources('AWS::ApiGatewayV2::Api')).flatMap((id) =>
      ['GET', 'POST'].map((method) => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${id}>/v1/${method}/@connections/*`),
    ),
  ];
  const functionVersions = new Set(Object.keys(t.findResources('AWS::Lambda::Function')).map((id) => `<${id}.Arn>:*`));
  const out: string[] = [];
  for (const policy of Object.values(t.findResources('AWS::IAM::Policy'))) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      for (const action of ([] as string[]).concat(statement.Action)) {
        for (const resource of ([] as unknown[]).concat(statement.Resource).map(cfnText)) {
          if (!resource.includes('*')) continue;
          if (resource === '*' && RESOURCELESS_ACTIONS.has(action)) continue;
          if (allowed.includes(resource) || functionVersions.has(resource)) continue;
          out.push(`${action} ${resource}`);
        }
      }
    }
  }
  return out;
}

describe('resource wildcards', () => {
  it('every wildcard resource is scoped to the table, its index, the state machine, its executions, stored results, the deadline schedules or the live channel’s connections', () => {
    expect(wildcardViolations(template)).toEqual([]);
    const jwt = buildStack({ api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } });
    expect(wildcardViolations(jwt.template)).toEqual([]);
  });

  it('fails on a wildcard resource outside them (the check can fail)', () => {
    // Not buildStack(): its template is synthesized already, and a stack synthesizes once.
    const stack = new LongrunStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Longrun');
    stack.api.functions['get-task']!.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:*:*:table/*'] }),
    );
    stack.api.functions['list-tasks']!.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: ['*'] }));
    expect(wildcardViolations(Template.fromStack(stack)).sort()).toEqual(['dynamodb:GetItem arn:aws:dynamodb:*:*:table/*', 'dynamodb:Query *']);
  });
});
