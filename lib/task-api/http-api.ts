/**
 * TaskHttpApi: the REST API (stage v1), one Lambda per route with exactly the access it needs,
 * authentication (API keys + usage plans, or a JWT TOKEN authorizer) and problem+json gateway answers.
 * client --> API Gateway --> route Lambda (its `live` alias) --> DynamoDB (+ Step Functions for submit and cancel)
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROUTES, type Route, STAGE_NAME } from '../../lambdas/api/routes.ts';
import { LEASE_PREFIX } from '../../lambdas/domain/held-connections.ts';
import { OWNER_INDEX } from '../../lambdas/domain/owner-index.ts';
import type { TaskTypeSchemas } from '../../lambdas/domain/task-types.ts';
import { type ApiAuth, type ApiConsumer, consumerLimits, type HeldConnections, heldConnectionsOf, type Throttle } from '../async-task-api-props.ts';
import { addMethodNotAllowed, addProblemResponses, errorCorsOrigin } from '../problem-responses.ts';
import { ACCESS_LOG_FORMAT } from './access-log.ts';
import type { TaskDeadlines } from './deadlines.ts';
import { liveAlias, longrunFunction } from './function.ts';
import { allow, nagResourceText, pascalCase } from './grants.ts';
import type { ExpressWorkflow } from './workflow.ts';

/** The shape of an `Authorization` header worth verifying: a bearer JWS in compact form. */
const BEARER_TOKEN_PATTERN = '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$';

const CORS_ALLOW_HEADERS = [
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'Prefer',
  'Last-Event-ID',
  'X-Api-Key',
  'Authorization',
  'Cancel-After',
];
const CORS_EXPOSE_HEADERS = ['Location', 'Retry-After', 'ETag', 'Operation-Location', 'Preference-Applied', 'Content-Location'];

/** The routes that render tasks (or check capability URLs): they get the capability key of awaited input. */
const RENDERING_ROUTES = [
  'submit-task',
  'get-task',
  'get-task-result',
  'list-tasks',
  'cancel-task',
  'task-events',
  'retry-task',
  'send-input',
  'send-input-by-capability',
];

/** What {@link TaskHttpApi} receives. */
export interface TaskHttpApiProps {
  /** The task table. */
  readonly table: dynamodb.ITable;
  /** The workflow submit starts and cancel stops. */
  readonly stateMachine: sfn.IStateMachine;
  /**
   * The ARN submit starts executions with: an alias of `stateMachine` (TaskWorkflow's `aliasArn`), so
   * that a task finishes on the version it started on. @default - the state machine itself
   */
  readonly startExecutionArn?: string;
  /** The ARN pattern of the state machine's executions (cancel stops them). */
  readonly executionsArn: string;
  /** The Express state machine of the short task types, which submit and retry start them on. @default - none */
  readonly express?: ExpressWorkflow;
  /** Environment shared by every task function (table name, retention, …). */
  readonly environment: Record<string, string>;
  /** The accepted task types and the JSON Schema of each one's input. */
  readonly taskTypes: TaskTypeSchemas;
  /** The state machine's timeout (bounds a task row's TTL). */
  readonly executionTimeout: Duration;
  /** How long an Idempotency-Key is remembered. */
  readonly idempotencyKeyTtl: Duration;
  /** Stage-wide throttling, and each consumer's default. */
  readonly throttle: Throttle;
  /** One API key and usage plan each (API key mode). */
  readonly consumers: ApiConsumer[];
  /** How callers authenticate. */
  readonly auth: ApiAuth;
  /** Origins allowed by CORS. @default - no CORS */
  readonly corsAllowOrigins?: string[];
  /** Retention of the functions' log groups. */
  readonly logRetention: logs.RetentionDays;
  /** Deadlines (`Cancel-After`): submit and retry schedule them. @default - no deadlines: a `Cancel-After` fails at its first use */
  readonly deadlines?: TaskDeadlines;
  /** Environment of the routes that render tasks: the capability key of awaited input (`INPUT_CAPABILITY_KEY`). @default - none */
  readonly renderEnvironment?: Record<string, string>;
  /** Caps on held connections (streams, long polls). @default DEFAULT_HELD_CONNECTIONS */
  readonly heldConnections?: HeldConnections;
  /** Whether the routes of the live channel (`POST /watch-tokens`) are built; the facade grants them with `LiveUpdates`. @default true */
  readonly liveRoutes?: boolean;
  /** Retention of the access log group (who called what). @default - `logRetention` */
  readonly accessLogRetention?: logs.RetentionDays;
  /** Retention of the execution log group (the gateway's own errors). @default - `logRetention` */
  readonly executionLogRetention?: logs.RetentionDays;
  /** Encrypts every log group of this part. @default - CloudWatch Logs' own encryption */
  readonly encryptionKey?: kms.IKey;
  /**
   * Create the region's API Gateway account setting (`AWS::ApiGateway::Account`) with a role that may
   * write to CloudWatch Logs: a stage with access or execution logging is refused until the account has
   * one. The role and the setting are kept when the stack is deleted (other APIs may use them). `false`
   * when the account already has one. @default true
   */
  readonly cloudWatchRole?: boolean;
  /** Answer only on a custom domain: the execute-api URL refuses every request. @default false */
  readonly disableExecuteApiEndpoint?: boolean;
}

/** The functions that hold connections, and the budget of held connections each serves at once. */
export function heldConnectionBudgets(heldConnections: HeldConnections | undefined): Record<string, number> {
  const held = heldConnectionsOf(heldConnections);
  // A submit with `Prefer: wait=N` holds its connection like a long poll.
  return { 'submit-task': held.longPolls, 'get-task': held.longPolls, 'get-task-result': held.longPolls, 'task-events': held.streams };
}

/** The REST API (stage `v1`), one function per route with exactly the access it needs, authentication and problem+json gateway answers. */
export class TaskHttpApi extends Construct {
  /** The REST API; its stage is `v1`. */
  public readonly api: apigateway.RestApi;
  /** The route functions (and the JWT authorizer's), keyed by handler name. */
  public readonly functions: Record<string, lambda.Function> = {};
  /** Every API key, keyed by consumer name for its `primary` key and `consumer/keyName` for others (empty with `auth: jwt`). */
  public readonly apiKeys: Record<string, apigateway.IApiKey> = {};
  /** One usage plan per consumer, keyed by consumer name (empty with `auth: jwt`). */
  public readonly usagePlans: Record<string, apigateway.UsagePlan> = {};
  /** The bearer-token authorizer, with `auth: jwt`. */
  public readonly authorizer?: apigateway.TokenAuthorizer;
  /** The access log group: one JSON line per request (who, what, how it went; see ./access-log.ts). */
  public readonly accessLogGroup: logs.LogGroup;
  /** The execution log group of the stage (`API-Gateway-Execution-Logs_<api id>/v1`): the gateway's own errors. */
  public readonly executionLogGroup: logs.LogGroup;

  private readonly routes: readonly Route[];

  constructor(scope: Construct, id: string, props: TaskHttpApiProps) {
    super(scope, id);
    const extraEnv: Record<string, Record<string, string>> = {
      'submit-task': {
        STATE_MACHINE_ARN: props.startExecutionArn ?? props.stateMachine.stateMachineArn,
        EXECUTION_TIMEOUT_SECONDS: String(props.executionTimeout.toSeconds()),
        IDEMPOTENCY_TTL_SECONDS: String(props.idempotencyKeyTtl.toSeconds()),
        TASK_TYPES: JSON.stringify(props.taskTypes),
        ...(props.express && {
          EXPRESS_STATE_MACHINE_ARN: props.express.stateMachine.stateMachineArn,
          EXPRESS_TASK_TYPES: props.express.taskTypes.join(','),
        }),
      },
      'cancel-task': { STATE_MACHINE_ARN: props.stateMachine.stateMachineArn },
      'retry-task': {
        STATE_MACHINE_ARN: props.startExecutionArn ?? props.stateMachine.stateMachineArn,
        EXECUTION_TIMEOUT_SECONDS: String(props.executionTimeout.toSeconds()),
        ...(props.express && { EXPRESS_STATE_MACHINE_ARN: props.express.stateMachine.stateMachineArn }),
      },
      // The served OpenAPI document describes the task types this deployment accepts.
      'get-openapi': { TASK_TYPES: JSON.stringify(props.taskTypes) },
    };
    for (const [handler, budget] of Object.entries(heldConnectionBudgets(props.heldConnections))) {
      extraEnv[handler] = {
        ...extraEnv[handler],
        HELD_CONNECTIONS_PER_CALLER: String(heldConnectionsOf(props.heldConnections).perCaller),
        HELD_CONNECTIONS_PER_FUNCTION: String(budget),
      };
    }
    this.routes = ROUTES.filter((route) => !route.live || props.liveRoutes !== false);
    for (const route of this.routes) {
      // Routes that name the same handler share its function (the console's page and files).
      if (this.functions[route.handler]) continue;
      this.functions[route.handler] = longrunFunction(this, `${pascalCase(route.handler)}Function`, {
        name: route.handler,
        environment: {
          ...props.environment,
          ...extraEnv[route.handler],
          ...(RENDERING_ROUTES.includes(route.handler) && props.renderEnvironment),
        },
        description: ROUTES.filter((r) => r.handler === route.handler)
          .map((r) => `${r.method} ${r.path}`)
          .join(', '),
        logRetention: props.logRetention,
        encryptionKey: props.encryptionKey,
        ...(route.timeoutSeconds && { timeout: Duration.seconds(route.timeoutSeconds) }),
        ...(route.memorySize && { memorySize: route.memorySize }),
      });
    }
    this.grantRoutes(props);

    if (props.auth.type === 'jwt') this.authorizer = this.buildAuthorizer(props.auth, props);
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      retention: props.accessLogRetention ?? props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.api = this.buildApi(props);
    // API Gateway would create the execution log group itself, kept forever and unencrypted: it is
    // created first (the stage waits for it), with a retention and the key.
    this.executionLogGroup = new logs.LogGroup(this, 'ExecutionLogGroup', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${STAGE_NAME}`,
      retention: props.executionLogRetention ?? props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.api.deploymentStage.node.addDependency(this.executionLogGroup);
    // Usage plans are keyed by API key, so they exist only in API key mode.
    if (props.auth.type === 'apiKey') this.addConsumers(props.consumers, props.throttle);
    this.addNagAcknowledgements(props.executionsArn);
  }

  private fn(handler: string): lambda.Function {
    const found = this.functions[handler];
    if (!found) throw new Error(`AsyncTaskApi: no route uses handler '${handler}'`);
    return found;
  }

  private grantRoutes(props: TaskHttpApiProps): void {
    const tableArn = props.table.tableArn;
    allow(this.fn('submit-task'), ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'], [tableArn]);
    props.stateMachine.grantStartExecution(this.fn('submit-task'));
    // Watchers probe the owner index (what a client sees, half a read unit) and read the task on a change.
    const ownerIndex = `${tableArn}/index/${OWNER_INDEX.name}`;
    for (const handler of ['get-task', 'get-task-result', 'task-events']) allow(this.fn(handler), ['dynamodb:GetItem'], [tableArn]);
    for (const handler of ['get-task', 'get-task-result', 'task-events']) allow(this.fn(handler), ['dynamodb:Query'], [ownerIndex]);
    // Held-connection leases: their own items (`held#…`) only, never a task.
    for (const handler of Object.keys(heldConnectionBudgets(props.heldConnections))) {
      this.fn(handler).addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LEASE_PREFIX}*`] } },
        }),
      );
    }
    allow(this.fn('list-tasks'), ['dynamodb:Query'], [`${tableArn}/index/${OWNER_INDEX.name}`]);
    allow(this.fn('cancel-task'), ['dynamodb:UpdateItem'], [tableArn]);
    // The executions of this state machine only; equivalent to grantExecution, with a readable ARN.
    allow(this.fn('cancel-task'), ['states:StopExecution'], [props.executionsArn]);
    // The caller's webhook secret item: read, create on first use; rotation updates it.
    // Update: a previous secret whose overlap is over is removed when next read.
    allow(this.fn('get-webhook-secret'), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tableArn]);
    allow(this.fn('rotate-webhook-secret'), ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], [tableArn]);
    // Retry: read the task, move it back to pending, stop a still-running execution of the last attempt, start the next.
    allow(this.fn('retry-task'), ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [tableArn]);
    props.stateMachine.grantStartExecution(this.fn('retry-task'));
    // Express task types start on the Express state machine (never stopped: cancel is cooperative there).
    if (props.express) for (const handler of ['submit-task', 'retry-task']) props.express.stateMachine.grantStartExecution(this.fn(handler));
    allow(this.fn('retry-task'), ['states:StopExecution'], [props.executionsArn]);
    // Input: read the wait, end it, resume the worker with the input (task tokens of this state machine).
    for (const handler of ['send-input', 'send-input-by-capability']) {
      allow(this.fn(handler), ['dynamodb:GetItem', 'dynamodb:UpdateItem'], [tableArn]);
      allow(this.fn(handler), ['states:SendTaskSuccess'], [props.stateMachine.stateMachineArn]);
    }
    allow(this.fn('get-task-history'), ['dynamodb:GetItem'], [tableArn]);
    if (props.deadlines) for (const handler of ['submit-task', 'retry-task']) props.deadlines.grantScheduling(this.fn(handler));
  }

  private buildAuthorizer(auth: Extract<ApiAuth, { type: 'jwt' }>, props: TaskHttpApiProps): apigateway.TokenAuthorizer {
    const fn = longrunFunction(this, 'JwtAuthorizerFunction', {
      name: 'jwt-authorizer',
      environment: {
        JWT_ISSUER: auth.issuer,
        JWT_AUDIENCE: auth.audience,
        JWT_JWKS_URI: auth.jwksUri ?? `${auth.issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
        JWT_CLOCK_TOLERANCE_SECONDS: String((auth.clockTolerance ?? Duration.seconds(5)).toSeconds()),
        JWT_MAX_TOKEN_AGE_SECONDS: String((auth.maxTokenAge ?? Duration.hours(24)).toSeconds()),
        ...(auth.tokenTypes && { JWT_TOKEN_TYPES: auth.tokenTypes.join(',') }),
      },
      description: 'Verifies bearer JWTs (issuer, audience, exp, RS256/ES256 signature)',
      logRetention: props.logRetention,
      encryptionKey: props.encryptionKey,
    });
    this.functions['jwt-authorizer'] = fn;
    return new apigateway.TokenAuthorizer(this, 'JwtAuthorizer', {
      handler: liveAlias(fn),
      identitySource: apigateway.IdentitySource.header('Authorization'),
      // Anything that is not `Bearer <JWS compact>` is refused by API Gateway (401) without invoking the function.
      validationRegex: BEARER_TOKEN_PATTERN,
      // The decision is cached per token; the policy covers the whole stage (see the handler).
      // Short, so that a token the issuer revoked stops working within a minute by default.
      resultsCacheTtl: auth.cacheTtl ?? Duration.seconds(60),
    });
  }

  private buildApi(props: TaskHttpApiProps): apigateway.RestApi {
    const cloudWatchRole = props.cloudWatchRole ?? true;
    const api = new apigateway.RestApi(this, 'RestApi', {
      // API Gateway's metrics are keyed by API name: one per stack, or two stacks share alarms.
      restApiName: `${Stack.of(this).stackName}-${this.node.id}`,
      description: 'Longrun: asynchronous task API',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // A stage that logs is refused until the region's account setting names a role (the stage
      // waits for the setting when it is created here).
      cloudWatchRole,
      ...(cloudWatchRole && { cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN }),
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint,
      apiKeySourceType: apigateway.ApiKeySourceType.HEADER,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: props.throttle.rateLimit,
        throttlingBurstLimit: props.throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        // Execution logs: the gateway's own errors only (authorizer, integration), never bodies.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        // The caller, the request id, latencies and the gateway's error: never bodies, keys or tokens.
        accessLogFormat: ACCESS_LOG_FORMAT,
      },
      defaultCorsPreflightOptions: props.corsAllowOrigins
        ? {
            allowOrigins: props.corsAllowOrigins,
            allowHeaders: CORS_ALLOW_HEADERS,
            exposeHeaders: CORS_EXPOSE_HEADERS,
            allowMethods: [...new Set(this.routes.map((r) => r.method)), 'OPTIONS'],
          }
        : undefined,
    });

    const byPath = new Map<string, Route[]>();
    for (const route of this.routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route]);
    for (const [routePath, routes] of byPath) {
      const resource = api.root.resourceForPath(routePath);
      for (const route of routes) {
        const authorizer = route.authenticated ? this.authorizer : undefined;
        // A streamed response may last up to 15 minutes (a buffered one 29 s).
        const integration = route.streaming
          ? new apigateway.LambdaIntegration(liveAlias(this.fn(route.handler)), {
              responseTransferMode: apigateway.ResponseTransferMode.STREAM,
              timeout: Duration.seconds(route.timeoutSeconds ?? 900),
            })
          : new apigateway.LambdaIntegration(liveAlias(this.fn(route.handler)));
        resource.addMethod(route.method, integration, {
          apiKeyRequired: route.authenticated && !authorizer,
          ...(authorizer && { authorizer, authorizationType: apigateway.AuthorizationType.CUSTOM }),
          operationName: pascalCase(route.handler),
        });
      }
      const allowed = [...routes.map((r) => r.method), ...(props.corsAllowOrigins ? ['OPTIONS'] : [])].join(', ');
      addMethodNotAllowed(resource, allowed);
    }

    addProblemResponses(api, errorCorsOrigin(props.corsAllowOrigins));
    return api;
  }

  /**
   * One usage plan per consumer and its keys. Every route function learns which consumer each key
   * belongs to (`API_KEY_CONSUMERS`): the consumer, not the key, owns tasks and the webhook secret.
   */
  private addConsumers(consumers: readonly ApiConsumer[], throttle: Throttle): void {
    const keyConsumers: Record<string, string> = {};
    consumerLimits(consumers, throttle).forEach((limits, i) => {
      const consumer = consumers[i]!;
      const plan = new apigateway.UsagePlan(this, `UsagePlan${pascalCase(consumer.name)}`, {
        description: `Longrun usage plan of consumer ${consumer.name}`,
        apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
        throttle: limits,
        quota: consumer.quotaPerDay === undefined ? undefined : { limit: consumer.quotaPerDay, period: apigateway.Period.DAY },
      });
      for (const keyName of consumer.keys ?? ['primary']) {
        // `primary` keeps the construct id of the one key a consumer had before keys were named.
        const id = keyName === 'primary' ? `ApiKey${pascalCase(consumer.name)}` : `ApiKey${pascalCase(consumer.name)}${pascalCase(keyName)}`;
        const key = new apigateway.ApiKey(this, id, { description: `Longrun API key ${keyName} of consumer ${consumer.name}` });
        plan.addApiKey(key);
        this.apiKeys[keyName === 'primary' ? consumer.name : `${consumer.name}/${keyName}`] = key;
        keyConsumers[key.keyId] = consumer.name;
      }
      this.usagePlans[consumer.name] = plan;
    });
    const mapping = Stack.of(this).toJsonString(keyConsumers);
    for (const fn of Object.values(this.functions)) fn.addEnvironment('API_KEY_CONSUMERS', mapping);
  }

  /** cdk-nag acknowledgments, each for a finding this construct causes on purpose. */
  private addNagAcknowledgements(executionsArn: string): void {
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
        ? "JWTs come from an OIDC issuer of the platform team's choosing (Cognito or another), verified by the Lambda TOKEN authorizer (issuer, audience, signature against its JWKS)."
        : 'Authentication is by API key, not by a Cognito user pool authorizer.',
    );
    if (this.api.node.tryFindChild('CloudWatchRole')) {
      ack(
        this.api.node.findChild('CloudWatchRole'),
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        "The region's API Gateway account role must write to the log groups of every API in the account (API Gateway names them itself); AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it.",
      );
    }
    for (const handler of ['cancel-task', 'retry-task']) {
      const role = this.fn(handler).role;
      if (!role) continue;
      ack(
        role,
        `AwsSolutions-IAM5[Resource::${nagResourceText(this, executionsArn)}]`,
        'StopExecution is limited to executions of this one state machine; executions are named after task ids, so no narrower ARN exists at deploy time.',
      );
    }
  }
}
