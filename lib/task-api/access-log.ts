/**
 * The API's access log line (JSON): who called (the API key id or the authorizer's principal, the
 * JWT subject — identifiers, never a key value or a token), which request (API Gateway's request
 * id, the same `apiRequestId` the functions log, and the X-Ray trace), how it went (status,
 * latencies, the gateway's error and WAF verdict). Never a request or response body.
 */
import { AccessLogFormat, AccessLogField as F } from 'aws-cdk-lib/aws-apigateway';

const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: F.contextRequestId(),
  extendedRequestId: F.contextExtendedRequestId(),
  xrayTraceId: F.contextXrayTraceId(),
  requestTime: F.contextRequestTime(),
  ip: F.contextIdentitySourceIp(),
  apiKeyId: F.contextIdentityApiKeyId(),
  principalId: F.contextAuthorizerPrincipalId(),
  httpMethod: F.contextHttpMethod(),
  resourcePath: F.contextResourcePath(),
  protocol: F.contextProtocol(),
  status: F.contextStatus(),
  responseLength: F.contextResponseLength(),
  responseLatency: F.contextResponseLatency(),
  integrationLatency: F.contextIntegrationLatency(),
  integrationStatus: F.contextIntegrationStatus(),
  // The gateway's own error (throttled, unauthorized, WAF-filtered, integration failure), not ours.
  errorMessage: F.contextErrorMessage(),
  errorResponseType: F.contextErrorResponseType(),
  wafResponseCode: F.contextWafResponseCode(),
};

export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS));
