/**
 * AsyncTaskApi: any Step Functions worker behind an asynchronous HTTP API.
 * client --> API Gateway (/v1) --> route Lambdas --> DynamoDB + Step Functions (worker + RecordSuccess/RecordFailure)
 *                                 EventBridge execution status change --> reconcile Lambda (backstop)
 */
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { ROUTES, STAGE_NAME, type Route } from '../lambdas/api/routes.ts';
import { transitionExpression, type TransitionExpression } from '../lambdas/domain/transitions.ts';
import { validateProps, type ApiAuth, type AsyncTaskApiProps } from './async-task-api-props.ts';
import { addMethodNotAllowed, addProblemResponses } from './problem-responses.ts';
import { taskFunction } from './task-function.ts';

export type { ApiAuth, ApiConsumer, AsyncTaskApiProps } from './async-task-api-props.ts';

const CORS_ALLOW_HEADERS = ['Content-Type', 'Idempotency-Key', 'If-None-Match', 'Prefer', 'X-Api-Key', 'Authorization'];
const CORS_EXPOSE_HEADERS = ['Location', 'Retry-After', 'ETag'];

/** Names of the states the construct adds after and around the worker. */
export const SHELL_STATES = {
  recordSuccess: 'RecordSuccess',
  recordFailure: 'RecordFailure',
  alreadyFinished: 'AlreadyFinished',
  failed: 'Failed',
} as const;

/** The function of the reconcile backstop, in `functions`. */
export const RECONCILE_FUNCTION = 'reconcile-execution';

function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * An asynchronous task API: submit, poll, fetch the result, list and cancel tasks run by `worker`.
 * Tasks live in `table`; each runs as one execution of `stateMachine` (named after the task id).
 */
export class AsyncTaskApi extends Construct {
  /** The task table: partition key `id`, GSI `byOwner` (`owner`, `id`), TTL attribute `ttl`. */
  public readonly table: dynamodb.Table;
  /** The workflow: `worker`, then `RecordSuccess`; failures go to `RecordFailure` and `Failed`. */
  public readonly stateMachine: sfn.StateMachine;
  /** The REST API; its stage is `v1`. */
  public readonly api: apigateway.RestApi;
  /** Every function the construct creates, keyed by handler name (`submit-task`, …, `reconcile-execution`). */
  public readonly functions: Record<string, NodejsFunction>;
  /** One API key per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly apiKeys: Record<string, apigateway.IApiKey>;
  /** One usage plan per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly usagePlans: Record<string, apigateway.UsagePlan>;
  /** The EventBridge rule routing execution status changes to the reconcile function. */
  public readonly reconcileRule: events.Rule;
  /** Dead-letter queue of events the reconcile function could not take. */
  public readonly reconcileDeadLetterQueue: sqs.Queue;
  /** The web ACL protecting the stage, unless `waf: false`. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The bearer-token authorizer, with `auth: jwt`. */
  public readonly authorizer?: apigateway.TokenAuthorizer;

  private readonly logRetention: logs.RetentionDays;

  /** The ARN of every execution of `stateMachine` (`...:execution:<name>:*`). */
  private get executionsArn(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  constructor(scope: Construct, id: string, props: AsyncTaskApiProps) {
    super(scope, id);
    validateProps(props);
    const executionTimeout = props.executionTimeout ?? Duration.hours(1);
    const retention = props.retention ?? Duration.days(7);
    const idempotencyKeyTtl = props.idempotencyKeyTtl ?? Duration.hours(24);
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const consumers = props.consumers ?? [{ name: 'default' }];
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'ttl',
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'byOwner',
      partitionKey: { name: 'owner', type: dynamodb.AttributeType.STRING },
      // Ids are UUIDv7: sorting by id sorts by creation time.
      sortKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.stateMachine = this.buildStateMachine(props.worker, executionTimeout);

    const common: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      TASK_RETENTION_SECONDS: String(retention.toSeconds()),
    };
    if (props.corsAllowOrigins) common.CORS_ALLOW_ORIGINS = props.corsAllowOrigins.join(',');
    const extraEnv: Record<string, Record<string, string>> = {
      'submit-task': {
        STATE_MACHINE_ARN: this.stateMachine.stateMachineArn,
        EXECUTION_TIMEOUT_SECONDS: String(executionTimeout.toSeconds()),
        IDEMPOTENCY_TTL_SECONDS: String(idempotencyKeyTtl.toSeconds()),
        TASK_TYPES: JSON.stringify(props.taskTypes),
      },
      'cancel-task': { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      // The served OpenAPI document describes the task types this deployment accepts.
      'get-openapi': { TASK_TYPES: JSON.stringify(props.taskTypes) },
    };

    this.functions = {};
    for (const route of ROUTES) {
      this.functions[route.handler] = taskFunction(this, `${pascalCase(route.handler)}Function`, {
        entry: `lambdas/http/${route.handler}.ts`,
        environment: { ...common, ...extraEnv[route.handler] },
        description: `${route.method} ${route.path}`,
        logRetention: this.logRetention,
      });
    }
    this.grantRoutes();

    const auth = props.auth ?? { type: 'apiKey' };
    if (auth.type === 'jwt') {
      const fn = taskFunction(this, 'JwtAuthorizerFunction', {
        entry: 'lambdas/http/jwt-authorizer.ts',
        environment: {
          JWT_ISSUER: auth.issuer,
          JWT_AUDIENCE: auth.audience,
          JWT_JWKS_URI: auth.jwksUri ?? `${auth.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
        },
        description: 'Verifies bearer JWTs (issuer, audience, RS256/ES256 signature)',
        logRetention: this.logRetention,
      });
      this.functions['jwt-authorizer'] = fn;
      this.authorizer = new apigateway.TokenAuthorizer(this, 'JwtAuthorizer', {
        handler: fn,
        identitySource: apigateway.IdentitySource.header('Authorization'),
        // The decision is cached per token; the policy covers the whole stage (see the handler).
        resultsCacheTtl: Duration.seconds(300),
      });
    }

    this.api = this.buildApi(props, throttle);
    this.usagePlans = {};
    this.apiKeys = {};
    // Usage plans are keyed by API key, so they exist only in API key mode.
    for (const consumer of auth.type === 'apiKey' ? consumers : []) {
      const key = new apigateway.ApiKey(this, `ApiKey${pascalCase(consumer.name)}`, {
        description: `Longrun API key of consumer ${consumer.name}`,
      });
      const plan = new apigateway.UsagePlan(this, `UsagePlan${pascalCase(consumer.name)}`, {
        description: `Longrun usage plan of consumer ${consumer.name}`,
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
        throttle: {
          rateLimit: consumer.rateLimit ?? throttle.rateLimit,
          burstLimit: consumer.burstLimit ?? throttle.burstLimit,
        },
        quota: consumer.quotaPerDay === undefined ? undefined : { limit: consumer.quotaPerDay, period: apigateway.Period.DAY },
      });
      plan.addApiKey(key);
      this.apiKeys[consumer.name] = key;
      this.usagePlans[consumer.name] = plan;
    }

    if (props.waf ?? true) {
      this.webAcl = this.buildWebAcl();
    } else {
      Validations.of(this.api.deploymentStage).acknowledge({
        id: 'AwsSolutions-APIG3',
        reason: 'WAF switched off with the `waf: false` prop; the deployer protects the stage otherwise.',
      });
    }

    const reconcile = taskFunction(this, 'ReconcileExecutionFunction', {
      entry: `lambdas/workflow/${RECONCILE_FUNCTION}.ts`,
      environment: { ...common },
      description: 'Backstop: records timed-out, aborted and failed executions',
      logRetention: this.logRetention,
    });
    this.allow(reconcile, ['dynamodb:UpdateItem', 'dynamodb:GetItem'], [this.table.tableArn]);
    this.functions[RECONCILE_FUNCTION] = reconcile;
    this.reconcileDeadLetterQueue = new sqs.Queue(this, 'ReconcileDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.reconcileRule = new events.Rule(this, 'ExecutionStatusChangeRule', {
      description: 'Step Functions execution status changes of the task workflow',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [
        new targets.LambdaFunction(reconcile, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.reconcileDeadLetterQueue,
        }),
      ],
    });

    this.addNagSuppressions();
  }

  /**
   * Lets a worker Lambda record progress (and see a cancellation): `dynamodb:UpdateItem` and
   * `dynamodb:GetItem` on the task table; a `lambda.Function` also gets `TABLE_NAME`.
   */
  public grantProgress(grantee: iam.IGrantable): void {
    this.allow(grantee, ['dynamodb:UpdateItem', 'dynamodb:GetItem'], [this.table.tableArn]);
    if (grantee instanceof lambda.Function) grantee.addEnvironment('TABLE_NAME', this.table.tableName);
  }

  private allow(grantee: iam.IGrantable, actions: string[], resources: string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
  }

  private grantRoutes(): void {
    const tableArn = this.table.tableArn;
    const fns = this.functions;
    const fn = (handler: string): NodejsFunction => {
      const found = fns[handler];
      if (!found) throw new Error(`AsyncTaskApi: no route uses handler '${handler}'`);
      return found;
    };
    this.allow(
      fn('submit-task'),
      ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      [tableArn],
    );
    this.stateMachine.grantStartExecution(fn('submit-task'));
    this.allow(fn('get-task'), ['dynamodb:GetItem'], [tableArn]);
    this.allow(fn('get-task-result'), ['dynamodb:GetItem'], [tableArn]);
    this.allow(fn('list-tasks'), ['dynamodb:Query'], [`${tableArn}/index/byOwner`]);
    this.allow(fn('cancel-task'), ['dynamodb:UpdateItem', 'dynamodb:GetItem'], [tableArn]);
    // The executions of this state machine only; equivalent to grantExecution, with a readable ARN.
    this.allow(fn('cancel-task'), ['states:StopExecution'], [this.executionsArn]);
  }

  private buildStateMachine(worker: sfn.IChainable, timeout: Duration): sfn.StateMachine {
    const recordSuccess = this.updateTask(SHELL_STATES.recordSuccess, transitionExpression('succeeded', ['result', 'progress']), {
      ':result': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$'))),
      ':progress': tasks.DynamoAttributeValue.fromMap({ percent: tasks.DynamoAttributeValue.fromNumber(100) }),
    });
    const recordFailure = this.updateTask(SHELL_STATES.recordFailure, transitionExpression('failed', ['error']), {
      ':error': tasks.DynamoAttributeValue.fromString(sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt('$.error'))),
    });
    const failed = new sfn.Fail(this, SHELL_STATES.failed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const alreadyFinished = new sfn.Succeed(this, SHELL_STATES.alreadyFinished, {
      comment: 'The task reached a terminal status (e.g. cancelled) before the workflow did.',
    });

    // A terminal task (cancelled meanwhile) keeps its status: the condition fails and that is fine.
    recordSuccess.addCatch(alreadyFinished, {
      errors: ['DynamoDB.ConditionalCheckFailedException'],
      resultPath: '$.recordError',
    });
    recordFailure.addCatch(failed, { errors: ['DynamoDB.ConditionalCheckFailedException'], resultPath: '$.recordError' });
    recordFailure.next(failed);

    const workerChain = sfn.Chain.start(worker);
    for (const state of sfn.State.findReachableStates(workerChain.startState)) {
      if (
        state instanceof sfn.TaskStateBase ||
        state instanceof sfn.Parallel ||
        state instanceof sfn.Map ||
        state instanceof sfn.DistributedMap
      ) {
        state.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.error' });
      }
    }
    const definition = workerChain.next(recordSuccess);

    const logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', { retention: this.logRetention });
    return new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  /** A DynamoDB updateItem step built from one transition of `lambdas/domain/transitions.ts`. */
  private updateTask(
    name: string,
    transition: TransitionExpression,
    fieldValues: Record<string, tasks.DynamoAttributeValue>,
  ): tasks.DynamoUpdateItem {
    const values: Record<string, tasks.DynamoAttributeValue> = {};
    for (const [placeholder, literal] of Object.entries(transition.values)) {
      values[placeholder] =
        typeof literal === 'number' ? tasks.DynamoAttributeValue.fromNumber(literal) : tasks.DynamoAttributeValue.fromString(literal);
    }
    values[':now'] = tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.State.EnteredTime'));
    Object.assign(values, fieldValues);
    return new tasks.DynamoUpdateItem(this, name, {
      table: this.table,
      key: { id: tasks.DynamoAttributeValue.fromString(sfn.JsonPath.stringAt('$$.Execution.Input.taskId')) },
      updateExpression: `SET ${transition.set.join(', ')}`,
      conditionExpression: transition.condition,
      expressionAttributeNames: transition.names,
      expressionAttributeValues: values,
      resultPath: sfn.JsonPath.DISCARD,
    });
  }

  private buildApi(props: AsyncTaskApiProps, throttle: { rateLimit: number; burstLimit: number }): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'AccessLogGroup', { retention: this.logRetention });
    const api = new apigateway.RestApi(this, 'RestApi', {
      description: 'Longrun: asynchronous task API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: false,
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: throttle.rateLimit,
        throttlingBurstLimit: throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        // Standard fields only: never request or response bodies.
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
      },
      defaultCorsPreflightOptions: props.corsAllowOrigins
        ? {
            allowOrigins: props.corsAllowOrigins,
            allowHeaders: CORS_ALLOW_HEADERS,
            exposeHeaders: CORS_EXPOSE_HEADERS,
            allowMethods: [...new Set(ROUTES.map((r) => r.method)), 'OPTIONS'],
          }
        : undefined,
    });

    const byPath = new Map<string, Route[]>();
    for (const route of ROUTES) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
    for (const [routePath, routes] of byPath) {
      const resource = api.root.resourceForPath(routePath);
      for (const route of routes) {
        const fn = this.functions[route.handler];
        if (!fn) throw new Error(`AsyncTaskApi: no function for handler '${route.handler}'`);
        const authorizer = route.authenticated ? this.authorizer : undefined;
        resource.addMethod(route.method, new apigateway.LambdaIntegration(fn), {
          apiKeyRequired: route.authenticated && !authorizer,
          ...(authorizer && { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }),
          operationName: pascalCase(route.handler),
        });
      }
      const allow = [...routes.map((r) => r.method), ...(props.corsAllowOrigins ? ['OPTIONS'] : [])].join(', ');
      addMethodNotAllowed(resource, allow);
    }

    addProblemResponses(api, props.corsAllowOrigins?.length === 1 ? props.corsAllowOrigins[0] : undefined);
    return api;
  }

  private buildWebAcl(): wafv2.CfnWebACL {
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: visibility(name),
    });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('LongrunWebAcl'),
      rules: [
        managed('AWSManagedRulesCommonRuleSet', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        {
          name: 'RateLimitPerIp',
          priority: 2,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: 2000, evaluationWindowSec: 300, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    association.node.addDependency(this.api.deploymentStage);
    return webAcl;
  }

  /** cdk-nag acknowledgments, each for a finding this construct causes on purpose. */
  private addNagSuppressions(): void {
    const ack = (scope: Construct, id: string, reason: string): void => Validations.of(scope).acknowledge({ id, reason });
    ack(
      this.api,
      'AwsSolutions-APIG2',
      'Request bodies are validated by the submit function against the task type JSON schema, so that a 400 problem names the offending field.',
    );
    ack(
      this.api,
      'AwsSolutions-APIG4',
      this.authorizer
        ? 'Callers authenticate with a bearer JWT checked by the Lambda TOKEN authorizer; routes declared authenticated: false in ROUTES (the OpenAPI document) and the 405 ANY mocks are public on purpose.'
        : 'Callers authenticate with API keys, whose usage plans carry their rate limits and quotas; routes declared authenticated: false in ROUTES (the OpenAPI document) and the 405 ANY mocks are public on purpose.',
    );
    ack(
      this.api,
      'AwsSolutions-COG4',
      this.authorizer
        ? 'JWTs come from an OIDC issuer of the platform team\'s choosing (Cognito or another), verified by the Lambda TOKEN authorizer (issuer, audience, signature against its JWKS).'
        : 'Authentication is by API key, not by a Cognito user pool authorizer.',
    );
    ack(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      'Execution logging needs the account-wide API Gateway CloudWatch role, which this construct does not own (cloudWatchRole off); access logging is on.',
    );
    ack(
      this.stateMachine.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and the CloudWatch Logs delivery actions Step Functions logging needs support no resource-level permissions.',
    );
    const cancel = this.functions['cancel-task'];
    if (cancel?.role) {
      ack(
        cancel.role,
        `AwsSolutions-IAM5[Resource::${nagResourceText(this, this.executionsArn)}]`,
        'StopExecution is limited to executions of this one state machine; executions are named after task ids, so no narrower ARN exists at deploy time.',
      );
    }
    ack(
      this.reconcileDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the EventBridge target of the reconcile function.',
    );
  }
}

/**
 * A resource as cdk-nag names it in a finding (`Ref` -> `<Id>`, `Fn::GetAtt` -> `<Id.Attr>`), so
 * that an acknowledgment names exactly one finding whether or not the stack's region is known.
 */
function nagResourceText(scope: Construct, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    return JSON.stringify(v);
  };
  return render(Stack.of(scope).resolve(value));
}
