/**
 * The WebSocket API's management endpoint (`@connections`: PostToConnection, GetConnection), one
 * client per container. Its endpoint is this API's own callback URL (`LIVE_CALLBACK_URL`, set by the
 * construct; the local stack points it at its own), so the client is made on first use.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { CLIENT_OPTIONS } from '#clients/timeouts';
import { config } from '#config';

let client: ApiGatewayManagementApiClient | undefined;

export function connections(): ApiGatewayManagementApiClient {
  client ??= new ApiGatewayManagementApiClient({ ...CLIENT_OPTIONS, endpoint: config.liveCallbackUrl });
  return client;
}
