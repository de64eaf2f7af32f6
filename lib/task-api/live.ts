/**
 * LiveUpdates: a task's changes pushed to browsers and dashboards over a WebSocket API, priced per
 * connection-minute and message instead of per second of a held Lambda.
 *   client --POST /watch-tokens (API key)--> a short-lived watch token (TaskHttpApi's create-watch-token)
 *   client --wss://…/v1?token=--> $connect (live-connect: token, held-connection slot) --> subscribe (live-subscribe)
 *   table stream --(status changes; followed tasks' progress)--> publish-events (TaskEvents) --PostToConnection--> followers
 * The fan-out runs in the events reader: a stream serves two readers per shard, and the webhook
 * forwarder and the events publisher are those two. State (tokens, connections, subscriptions) is
 * items of the task table (`live#…`), plus a `followedUntil` mark on a followed task's row (see
 * lambdas/domain/live.ts).
 */
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { STAGE_NAME } from '../../lambdas/api/routes.ts';
import { LEASE_PREFIX } from '../../lambdas/domain/held-connections.ts';
import { DEFAULT_WATCH_TOKEN_SECONDS, FOLLOW_WRITE_ATTRIBUTES, LIVE_PREFIX } from '../../lambdas/domain/live.ts';
import type { Throttle } from '../async-task-api-props.ts';
import { liveAlias, longrunFunction } from './function.ts';
import { nagResourceText } from './grants.ts';
import type { PushPartProps } from './push.ts';

/** Task rows only (ids are UUIDv7), as `dynamodb:LeadingKeys` sees them. */
const TASK_KEYS = '????????-????-7???-????-????????????';
/** The route a client sends `{ "action": "subscribe", … }` to. */
export const SUBSCRIBE_ROUTE = 'subscribe';

/** What {@link LiveUpdates} receives. */
export interface LiveUpdatesProps extends Omit<PushPartProps, 'failureRetention'> {
  /** Connections one caller may hold open (with its event streams and long polls). @default 10 */
  readonly perCaller?: number;
  /** Stage throttling of the WebSocket API (connections and messages from clients). @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttle?: Throttle;
  /** How long a watch token may open a connection. @default Duration.minutes(5) */
  readonly tokenLifetime?: Duration;
}

/** The live channel: the WebSocket API, its route functions, the stream fan-out and their exact grants. */
export class LiveUpdates extends Construct {
  /** The WebSocket API; clients connect to `url`. */
  public readonly webSocketApi: apigatewayv2.WebSocketApi;
  /** Its stage (`v1`). */
  public readonly stage: apigatewayv2.WebSocketStage;
  /** `wss://…/v1`: where a watch token connects. */
  public readonly url: string;
  /** `$connect`: checks the watch token and takes a held-connection slot. */
  public readonly connectFunction: lambda.Function;
  /** `subscribe`: follows a task (or all of the caller's) and answers with its current state. */
  public readonly subscribeFunction: lambda.Function;
  /** `$disconnect`: removes the subscriptions and gives the slot back. */
  public readonly disconnectFunction: lambda.Function;

  private readonly table: dynamodb.ITable;
  private readonly tokenLifetime: Duration;

  constructor(scope: Construct, id: string, props: LiveUpdatesProps) {
    super(scope, id);
    this.table = props.table;
    this.tokenLifetime = props.tokenLifetime ?? Duration.seconds(DEFAULT_WATCH_TOKEN_SECONDS);
    const fn = (name: string, construct: string, description: string, extra: Record<string, string> = {}) =>
      longrunFunction(this, construct, {
        name,
        environment: { ...props.environment, ...(props.apiBaseUrl && { API_BASE_URL: props.apiBaseUrl }), ...extra },
        description,
        logRetention: props.logRetention,
        encryptionKey: props.encryptionKey,
      });
    this.connectFunction = fn('live-connect', 'ConnectFunction', 'Live channel $connect: watch token, held-connection slot', {
      HELD_CONNECTIONS_PER_CALLER: String(props.perCaller ?? 10),
    });
    this.subscribeFunction = fn('live-subscribe', 'SubscribeFunction', 'Live channel subscribe: follows a task, answers its current state');
    this.disconnectFunction = fn('live-disconnect', 'DisconnectFunction', 'Live channel $disconnect: subscriptions removed, slot given back');

    this.webSocketApi = new apigatewayv2.WebSocketApi(this, 'Api', {
      // API Gateway's metrics are keyed by API name: one per stack.
      apiName: `${Stack.of(this).stackName}-${this.node.id}`,
      description: 'Longrun live channel: task changes pushed to followers',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: { integration: new WebSocketLambdaIntegration('Connect', liveAlias(this.connectFunction)) },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('Disconnect', liveAlias(this.disconnectFunction)) },
    });
    // The function's answer (the task's current state, or `subscribed`) is the client's reply.
    this.webSocketApi.addRoute(SUBSCRIBE_ROUTE, {
      integration: new WebSocketLambdaIntegration('Subscribe', liveAlias(this.subscribeFunction)),
      returnResponse: true,
    });
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    const accessLogs = new logs.LogGroup(this, 'AccessLogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.encryptionKey,
    });
    this.stage = new apigatewayv2.WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: STAGE_NAME,
      autoDeploy: true,
      throttle,
      // The default WebSocket format: caller, time, event, route, connection, status, request id. Never the query string (the token).
      accessLogSettings: { destination: new apigatewayv2.LogGroupLogDestination(accessLogs) },
    });
    this.url = this.stage.url;
    this.connectFunction.addEnvironment('LIVE_CALLBACK_URL', this.stage.callbackUrl);
    this.grant();
    this.addNagAcknowledgements();
  }

  /** `execute-api:ManageConnections` on this API's stage's connections, for one HTTP method of the management API. */
  private connectionsArn(method: 'GET' | 'POST'): string {
    return Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      resourceName: `${this.stage.stageName}/${method}/@connections/*`,
    });
  }

  /** Exact grants: live items (`live#…`), leases (`held#…`) and task rows only where a function reads tasks. */
  private grant(): void {
    const tableArn = this.table.tableArn;
    const keys = (grantee: lambda.Function, actions: string[], prefixes: string[]) =>
      grantee.addToRolePolicy(
        new iam.PolicyStatement({
          actions: actions.map((a) => `dynamodb:${a}`),
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes } },
        }),
      );
    const live = `${LIVE_PREFIX}*`;
    const leases = `${LEASE_PREFIX}*`;
    // $connect: the token, the connection; its slot (and the holders of the caller's slots, at its cap).
    keys(this.connectFunction, ['GetItem', 'PutItem'], [live]);
    keys(this.connectFunction, ['BatchGetItem', 'PutItem', 'DeleteItem'], [leases]);
    this.connectFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [this.connectionsArn('GET')] }),
    );
    // subscribe: the connection, the task (strongly consistent), the owner's subscriptions; the task's
    // `followedUntil` mark, and nothing else of a task row (the condition names id, owner and status).
    keys(this.subscribeFunction, ['GetItem'], [TASK_KEYS, live]);
    keys(this.subscribeFunction, ['UpdateItem'], [live]);
    this.subscribeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [tableArn],
        conditions: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...FOLLOW_WRITE_ATTRIBUTES] },
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [TASK_KEYS] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE'] },
        },
      }),
    );
    // $disconnect: the connection and its subscriptions, then its slot.
    keys(this.disconnectFunction, ['GetItem', 'BatchGetItem', 'UpdateItem', 'DeleteItem'], [live]);
    keys(this.disconnectFunction, ['DeleteItem'], [leases]);
  }

  /**
   * Lets `fn` (the events reader, `TaskEvents.publishFunction`, built `withFollowedWrites`) fan task
   * changes out: it reads each owner's followers, removes those whose connection is gone and posts
   * to connections of this API's stage (`POST @connections` only).
   */
  public grantFanOut(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LIVE_PREFIX}*`] } },
      }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [this.connectionsArn('POST')] }));
    fn.addEnvironment('LIVE_CALLBACK_URL', this.stage.callbackUrl);
    if (fn.role) {
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, this.connectionsArn('POST'))}]`,
        reason: "ManageConnections (POST only) on the connections of this API's stage; connection ids exist only at run time.",
      });
    }
  }

  /**
   * Lets `fn` (the `POST /watch-tokens` route) issue watch tokens: it reads the task a token is for
   * and writes the token item; it learns the channel's URL and the tokens' lifetime.
   */
  public grantTokenIssue(fn: lambda.Function): void {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [TASK_KEYS] } },
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${LIVE_PREFIX}*`] } },
      }),
    );
    fn.addEnvironment('LIVE_URL', this.url);
    fn.addEnvironment('WATCH_TOKEN_SECONDS', String(this.tokenLifetime.toSeconds()));
  }

  private addNagAcknowledgements(): void {
    Validations.of(this.webSocketApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Connections authenticate at $connect with a short-lived watch token (issued with the API key by POST /watch-tokens) checked by the connect function; API Gateway runs no other route on a connection $connect refused.',
    });
    if (this.connectFunction.role) {
      Validations.of(this.connectFunction.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, this.connectionsArn('GET'))}]`,
        reason:
          "ManageConnections (GET only: is a lost connection's slot free?) on the connections of this API's stage; connection ids exist only at run time.",
      });
    }
  }
}
