/** The intrinsic resolver and the template finders, on a small hand-written template. */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${…}` here is CloudFormation's Fn::Sub syntax, under test
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CfnTemplate, functionBehind, localValues, resolveIntrinsics } from '../../src/template.ts';
import { findApi, findEventsRuleTargets, findFunctions, findStateMachine, findTable } from '../../src/template-resources.ts';
import { TABLE_RESOURCE } from '../support/table-fixture.ts';

const fixture: CfnTemplate = {
  Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } },
  Conditions: { IsUsEast1: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } },
  Resources: {
    Table1: TABLE_RESOURCE,
    WorkerFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.worker', 'aws:cdk:path': 'App/DemoWorker/CountPrimesFunction/Resource' },
      Properties: {
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Timeout: 300,
        Environment: { Variables: { TABLE_NAME: { Ref: 'Table1' }, ARN: { 'Fn::GetAtt': ['Table1', 'Arn'] } } },
      },
    },
    SubmitFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.submit', 'Longrun:Function': 'submit-task' },
      Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Environment: { Variables: { STATE_MACHINE_ARN: { Ref: 'Machine' } } } },
    },
    ReconcileFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.reconcile' },
      Properties: { Runtime: 'nodejs20.x', Handler: 'src/app.main', Timeout: 10 },
    },
    PythonFn: {
      Type: 'AWS::Lambda::Function',
      Metadata: { 'aws:asset:path': 'asset.python' },
      Properties: { Runtime: 'python3.13', Handler: 'app.handler' },
    },
    CustomResourceFn: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Code: { ZipFile: 'exports.handler = () => {}' } } },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
        DefinitionString: {
          'Fn::Join': [
            '',
            [
              '{"StartAt":"Work","States":{"Work":{"Type":"Task","Resource":"',
              { 'Fn::GetAtt': ['WorkerFn', 'Arn'] },
              '","Next":"Save"},"Save":{"Type":"Task","Resource":"arn:',
              { Ref: 'AWS::Partition' },
              ':states:::dynamodb:updateItem","Parameters":{"TableName":"',
              { Ref: 'Table1' },
              '"},"End":true}},"TimeoutSeconds":3600}',
            ],
          ],
        },
      },
    },
    Rule: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: { source: ['aws.states'], 'detail-type': ['Step Functions Execution Status Change'] },
        Targets: [{ Arn: { 'Fn::GetAtt': ['ReconcileFn', 'Arn'] }, Id: 'Target0' }],
      },
    },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'api' } },
    Tasks: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { 'Fn::GetAtt': ['Api', 'RootResourceId'] }, PathPart: 'tasks', RestApiId: { Ref: 'Api' } },
    },
    TaskId: {
      Type: 'AWS::ApiGateway::Resource',
      Properties: { ParentId: { Ref: 'Tasks' }, PathPart: '{id}', RestApiId: { Ref: 'Api' } },
    },
    TasksPost: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'POST',
        ResourceId: { Ref: 'Tasks' },
        RestApiId: { Ref: 'Api' },
        ApiKeyRequired: true,
        AuthorizationType: 'NONE',
        Integration: {
          Type: 'AWS_PROXY',
          IntegrationHttpMethod: 'POST',
          Uri: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':apigateway:',
                { Ref: 'AWS::Region' },
                ':lambda:path/2015-03-31/functions/',
                { 'Fn::GetAtt': ['SubmitFn', 'Arn'] },
                '/invocations',
              ],
            ],
          },
        },
      },
    },
    TaskIdAny: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'ANY',
        ResourceId: { Ref: 'TaskId' },
        RestApiId: { Ref: 'Api' },
        Integration: { Type: 'MOCK', RequestTemplates: { 'application/json': '{"statusCode": 405}' } },
      },
    },
    NotFound: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        RestApiId: { Ref: 'Api' },
        StatusCode: '404',
        ResponseTemplates: { 'application/json': '{"instance":"$context.path"}' },
      },
    },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, StageName: 'v1' } },
  },
};

describe('resolveIntrinsics', () => {
  const values = localValues(fixture);

  it('resolves Ref, GetAtt (both forms), pseudo parameters and parameters with defaults', () => {
    expect(resolveIntrinsics({ Ref: 'Table1' }, values)).toBe('Table1');
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['WorkerFn', 'Arn'] }, values)).toBe('arn:aws:lambda:us-east-1:000000000000:function:WorkerFn');
    expect(resolveIntrinsics({ 'Fn::GetAtt': 'Table1.Arn' }, values)).toBe('arn:aws:dynamodb:us-east-1:000000000000:table/Table1');
    expect(resolveIntrinsics({ Ref: 'Machine' }, values)).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:Machine');
    expect(resolveIntrinsics({ Ref: 'AWS::AccountId' }, values)).toBe('000000000000');
    expect(resolveIntrinsics({ Ref: 'BootstrapVersion' }, values)).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  it('resolves Join, Sub (string and with variables, ${!literal}), Select, Split, If and NoValue', () => {
    expect(resolveIntrinsics({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }, 'b']] }, values)).toBe('a-us-east-1-b');
    expect(resolveIntrinsics({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Table1}:${WorkerFn.Arn}:${!Keep}' }, values)).toBe(
      'arn:aws:x:us-east-1:Table1:arn:aws:lambda:us-east-1:000000000000:function:WorkerFn:${Keep}',
    );
    expect(resolveIntrinsics({ 'Fn::Sub': ['${Greeting}, ${AWS::Region}', { Greeting: { 'Fn::Join': ['', ['hi']] } }] }, values)).toBe(
      'hi, us-east-1',
    );
    expect(resolveIntrinsics({ 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] }, values)).toBe('b');
    expect(resolveIntrinsics({ 'Fn::If': ['IsUsEast1', 'yes', 'no'] }, values, fixture)).toBe('yes');
    expect(resolveIntrinsics({ a: 1, b: { Ref: 'AWS::NoValue' }, c: [1, { Ref: 'AWS::NoValue' }] }, values)).toEqual({ a: 1, c: [1] });
  });

  it('throws on unknown references instead of leaving tokens behind', () => {
    expect(() => resolveIntrinsics({ Ref: 'Nope' }, values)).toThrow(/Nope/);
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Nope', 'Arn'] }, values)).toThrow(/Nope/);
  });
});

describe('template finders', () => {
  const values = localValues(fixture);
  // The cloud assembly's asset directories, as CDK stages them.
  const assembly = mkdtempSync(join(tmpdir(), 'longrun-template-test-'));
  afterAll(() => rmSync(assembly, { recursive: true, force: true }));
  const write = (path: string) => {
    mkdirSync(join(assembly, path, '..'), { recursive: true });
    writeFileSync(join(assembly, path), '');
  };
  write('asset.worker/index.mjs');
  write('asset.submit/index.js');
  write('asset.reconcile/src/app.cjs');
  write('asset.python/app.py');

  it('finds the Node.js functions whose code is an asset, their handler file, labels and environment', () => {
    const fns = findFunctions(fixture, values, assembly);
    expect(fns.map((f) => f.logicalId).sort()).toEqual(['ReconcileFn', 'SubmitFn', 'WorkerFn']);
    expect(fns.find((f) => f.logicalId === 'WorkerFn')).toMatchObject({
      file: join(assembly, 'asset.worker', 'index.mjs'),
      label: 'DemoWorker/CountPrimesFunction',
      timeoutSeconds: 300,
      handlerExport: 'handler',
      environment: { TABLE_NAME: 'Table1', ARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/Table1' },
    });
    expect(fns.find((f) => f.logicalId === 'SubmitFn')).toMatchObject({
      file: join(assembly, 'asset.submit', 'index.js'),
      label: 'submit-task',
      environment: { STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:Machine' },
    });
    expect(fns.find((f) => f.logicalId === 'ReconcileFn')).toMatchObject({
      file: join(assembly, 'asset.reconcile', 'src', 'app.cjs'),
      handlerExport: 'main',
      label: 'ReconcileFn',
    });
  });

  it('names the handler file it cannot find', () => {
    const missing = {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'aws:asset:path': 'asset.none' },
          Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler' },
        },
      },
    };
    expect(() => findFunctions(missing, localValues(missing), assembly)).toThrow(
      `no index.mjs/.js/.cjs in ${join(assembly, 'asset.none')} for the handler index.handler`,
    );
  });

  it('parses the state machine ASL with every token resolved', () => {
    const sm = findStateMachine(fixture, values);
    expect(sm.arn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:Machine');
    expect(sm.definition.States.Work.Resource).toBe('arn:aws:lambda:us-east-1:000000000000:function:WorkerFn');
    expect(sm.definition.States.Save.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
    expect(sm.definition.States.Save.Parameters.TableName).toBe('Table1');
    expect(sm.definition.TimeoutSeconds).toBe(3600);
  });

  it('finds the table, the events rule target and the API routes', () => {
    expect(findTable(fixture, values)).toMatchObject({ tableName: 'Table1', type: 'AWS::DynamoDB::Table' });
    expect(findEventsRuleTargets(fixture)).toEqual([expect.objectContaining({ ruleLogicalId: 'Rule', functionLogicalId: 'ReconcileFn' })]);
    const api = findApi(fixture, values);
    expect(api.stageName).toBe('v1');
    const byPath = Object.fromEntries(api.resources.map((r) => [r.path, r.methods]));
    expect(byPath['/tasks']).toEqual([
      expect.objectContaining({ httpMethod: 'POST', apiKeyRequired: true, integrationType: 'AWS_PROXY', functionLogicalId: 'SubmitFn' }),
    ]);
    expect(byPath['/tasks/{id}']).toEqual([expect.objectContaining({ httpMethod: 'ANY', integrationType: 'MOCK', apiKeyRequired: false })]);
    expect(api.gatewayResponses).toEqual([expect.objectContaining({ responseType: 'MISSING_AUTHENTICATION_TOKEN', statusCode: '404' })]);
  });
});

describe('versions and aliases (a deploy publishes them; locally each stands for its one function or state machine)', () => {
  const qualified: CfnTemplate = {
    Resources: {
      ...fixture.Resources,
      WorkerVersion: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'WorkerFn' } } },
      SubmitLive: {
        Type: 'AWS::Lambda::Alias',
        Properties: { FunctionName: { Ref: 'SubmitFn' }, FunctionVersion: { 'Fn::GetAtt': ['SubmitVersion', 'Version'] }, Name: 'live' },
      },
      SubmitVersion: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'SubmitFn' } } },
      MachineVersion: {
        Type: 'AWS::StepFunctions::StateMachineVersion',
        Properties: { StateMachineArn: { Ref: 'Machine' }, StateMachineRevisionId: { 'Fn::GetAtt': ['Machine', 'StateMachineRevisionId'] } },
      },
      MachineLive: {
        Type: 'AWS::StepFunctions::StateMachineAlias',
        Properties: {
          Name: 'live',
          // Alarms come first in the template: the version must still be found among the references.
          DeploymentPreference: { Alarms: [{ Ref: 'Table1' }], StateMachineVersionArn: { 'Fn::GetAtt': ['MachineVersion', 'Arn'] }, Type: 'CANARY' },
        },
      },
      ReconcileLive: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'ReconcileFn' }, FunctionVersion: '1', Name: 'live' } },
    },
  };
  const values = localValues(qualified);

  it('resolves their ARNs to the qualified ARN of their function or state machine', () => {
    expect(resolveIntrinsics({ Ref: 'SubmitLive' }, values)).toBe('arn:aws:lambda:us-east-1:000000000000:function:SubmitFn:live');
    expect(resolveIntrinsics({ Ref: 'WorkerVersion' }, values)).toBe('arn:aws:lambda:us-east-1:000000000000:function:WorkerFn:1');
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['SubmitVersion', 'Version'] }, values)).toBe('1');
    expect(resolveIntrinsics({ Ref: 'MachineLive' }, values)).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:Machine:live');
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['MachineVersion', 'Arn'] }, values)).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:Machine:1',
    );
  });

  it('finds the function behind a version or an alias, alone or inside an integration URI', () => {
    expect(functionBehind(qualified, { Ref: 'SubmitLive' })).toBe('SubmitFn');
    expect(functionBehind(qualified, { Ref: 'WorkerVersion' })).toBe('WorkerFn');
    expect(
      functionBehind(qualified, { 'Fn::Join': ['', ['arn:aws:apigateway:x:lambda:path/functions/', { Ref: 'SubmitLive' }, '/invocations']] }),
    ).toBe('SubmitFn');
    expect(functionBehind(qualified, { Ref: 'Table1' })).toBeUndefined();
  });

  it('routes events rules that target an alias to its function', () => {
    const rule = qualified.Resources.Rule!;
    const withAlias: CfnTemplate = {
      Resources: {
        ...qualified.Resources,
        Rule: { ...rule, Properties: { ...rule.Properties, Targets: [{ Arn: { Ref: 'ReconcileLive' }, Id: 'T' }] } },
      },
    };
    expect(findEventsRuleTargets(withAlias)).toEqual([expect.objectContaining({ functionLogicalId: 'ReconcileFn' })]);
  });
});
