/**
 * ApiFirewall: a regional web ACL in front of the API stage that never blocks a request the
 * contract accepts.
 * - AWS managed Common and Known-Bad-Inputs rule groups; the Common group's 8 KB body rule
 *   (SizeRestrictions_BODY) only counts (labels), since POST /tasks accepts 256 KiB (413 above, from us).
 * - A labelled body over 8 KB is blocked on every other route (none takes a body), answered 413.
 * - POST /tasks declaring more than 256 KiB + margin (Content-Length) is blocked with 413 before it
 *   reaches a function (WAF inspects only the first 8-64 KB of a body, so the header is the measure).
 * - A rate rule keyed on the caller (its API key, or its bearer token in JWT mode), not on an IP
 *   that a NAT shares, answering 429 with Retry-After and problem details. WAF leaves requests
 *   without that header out of such a rule, so those (preflights, junk) have their own, lower,
 *   limit per IP; and a backstop per IP catches one client rotating junk keys, each of which would
 *   start a fresh per-caller count.
 * - No sampled requests: WAF samples keep whole headers, `x-api-key` and `authorization` included,
 *   and cannot redact them (only WAF logging can); metrics stay on.
 */
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { PROBLEM_BASE, PROBLEM_KINDS, type ProblemKind } from '../../lambdas/domain/errors.ts';
import { ERROR_EXPOSE_HEADERS } from '../problem-responses.ts';

/** The Common rule set's label for a body over 8 KB (set even when the rule only counts). */
export const BODY_SIZE_LABEL = 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body';
/** POST /tasks bodies above this many bytes (256 KiB + 36 KiB of margin) never reach the submit function. */
export const SUBMIT_BODY_BLOCK_BYTES = 300_000;
/** Content-Length of 300,000 or more: six digits from 3xxxxx, or seven and more. */
const CONTENT_LENGTH_AT_LEAST_300000 = '^0*([3-9][0-9]{5}|[1-9][0-9]{6,})$';
/** Seconds a rate-limited caller is told to wait: WAF re-evaluates rates over a sliding window. */
export const RATE_LIMIT_RETRY_AFTER_SECONDS = 60;

/** What {@link ApiFirewall} receives. */
export interface ApiFirewallProps {
  /** The stage the web ACL protects. */
  readonly stage: apigateway.Stage;
  /** The header that identifies a caller: `x-api-key` (API keys) or `authorization` (JWT). @default 'x-api-key' */
  readonly callerHeader?: 'x-api-key' | 'authorization';
  /** Requests one caller may send per 5 minutes before WAF answers 429. @default 15000 (50 per second) */
  readonly requestsPerFiveMinutes?: number;
  /** Requests without the caller header one IP may send per 5 minutes (CORS preflights, the OpenAPI document, junk). @default 1500 (5 per second) */
  readonly anonymousRequestsPerFiveMinutes?: number;
  /** Requests of any kind one IP may send per 5 minutes: twice a caller's limit, as a NAT may carry a few callers. @default 2 × requestsPerFiveMinutes */
  readonly requestsPerIpPerFiveMinutes?: number;
  /**
   * The web ACL's CloudWatch metric name (its `WebACL` dimension): unique per account and region, or
   * two deployments' WAF metrics and alarms mix. @default 'LongrunWebAcl'
   */
  readonly metricName?: string;
  /** `Access-Control-Allow-Origin` of the WAF's own answers (413, 429), so browsers can read them. @default - none */
  readonly corsOrigin?: string;
}

/**
 * A regional WAF web ACL on the stage that never blocks a request the contract accepts: AWS managed
 * common and known-bad-inputs rules (their 8 KB body rule only where no body is accepted), bodies over
 * 256 KiB + margin refused with 413, and a rate rule per caller answering 429 with Retry-After.
 */
export class ApiFirewall extends Construct {
  /** The web ACL, associated with the stage. */
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      // Samples would show callers' keys and tokens to anyone who may read WAF in the console.
      sampledRequestsEnabled: false,
      metricName,
    });
    const managed = (name: string, priority: number, overrides: string[] = []): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(overrides.length > 0 && { ruleActionOverrides: overrides.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }),
        },
      },
      visibilityConfig: visibility(name),
    });
    const cors: Record<string, string> = props.corsOrigin
      ? { 'Access-Control-Allow-Origin': props.corsOrigin, 'Access-Control-Expose-Headers': ERROR_EXPOSE_HEADERS }
      : {};
    const problemResponse = (kind: ProblemKind, extra: Record<string, string> = {}): wafv2.CfnWebACL.RuleActionProperty => {
      const headers = { ...cors, ...extra };
      return {
        block: {
          customResponse: {
            responseCode: PROBLEM_KINDS[kind].status,
            customResponseBodyKey: kind,
            ...(Object.keys(headers).length > 0 && { responseHeaders: Object.entries(headers).map(([name, value]) => ({ name, value })) }),
          },
        },
      };
    };
    const submitRequest: wafv2.CfnWebACL.StatementProperty = {
      andStatement: {
        statements: [
          {
            byteMatchStatement: {
              fieldToMatch: { method: {} },
              positionalConstraint: 'EXACTLY',
              searchString: 'POST',
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          // Ends with /tasks: right on the execute-api URL (/v1/tasks) and behind a base path mapping.
          {
            byteMatchStatement: {
              fieldToMatch: { uriPath: {} },
              positionalConstraint: 'ENDS_WITH',
              searchString: '/tasks',
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
        ],
      },
    };
    const limit = props.requestsPerFiveMinutes ?? 15_000;
    const callerHeader = props.callerHeader ?? 'x-api-key';
    const tooManyRequests = problemResponse('too-many-requests', { 'Retry-After': String(RATE_LIMIT_RETRY_AFTER_SECONDS) });
    // A header that is absent fails any size comparison, so "not (size >= 0)" means "no such header".
    const withoutCallerHeader: wafv2.CfnWebACL.StatementProperty = {
      notStatement: {
        statement: {
          sizeConstraintStatement: {
            fieldToMatch: { singleHeader: { Name: callerHeader } },
            comparisonOperator: 'GE',
            size: 0,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
      },
    };

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(props.metricName ?? 'LongrunWebAcl'),
      customResponseBodies: {
        'payload-too-large': {
          contentType: 'APPLICATION_JSON',
          content: problemBody('payload-too-large', 'The request body is larger than this route accepts (POST /tasks: 256 KiB; other routes: none).'),
        },
        'too-many-requests': {
          contentType: 'APPLICATION_JSON',
          content: problemBody('too-many-requests', `Too many requests from this caller; retry after ${RATE_LIMIT_RETRY_AFTER_SECONDS} seconds.`),
        },
      },
      rules: [
        {
          name: 'RateLimitPerCaller',
          priority: 0,
          action: tooManyRequests,
          statement: {
            rateBasedStatement: {
              limit,
              evaluationWindowSec: 300,
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [{ header: { name: callerHeader, textTransformations: [{ priority: 0, type: 'NONE' }] } }],
            },
          },
          visibilityConfig: visibility('RateLimitPerCaller'),
        },
        {
          name: 'RateLimitWithoutCaller',
          priority: 1,
          action: tooManyRequests,
          statement: {
            rateBasedStatement: {
              limit: props.anonymousRequestsPerFiveMinutes ?? 1_500,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: withoutCallerHeader,
            },
          },
          visibilityConfig: visibility('RateLimitWithoutCaller'),
        },
        {
          name: 'RateLimitPerIp',
          priority: 2,
          action: tooManyRequests,
          statement: {
            rateBasedStatement: { limit: props.requestsPerIpPerFiveMinutes ?? 2 * limit, evaluationWindowSec: 300, aggregateKeyType: 'IP' },
          },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        managed('AWSManagedRulesCommonRuleSet', 3, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 4),
        {
          name: 'BodyOnlyWhereAccepted',
          priority: 5,
          action: problemResponse('payload-too-large'),
          statement: {
            andStatement: {
              statements: [{ labelMatchStatement: { scope: 'LABEL', key: BODY_SIZE_LABEL } }, { notStatement: { statement: submitRequest } }],
            },
          },
          visibilityConfig: visibility('BodyOnlyWhereAccepted'),
        },
        {
          name: 'SubmitBodyOverLimit',
          priority: 6,
          action: problemResponse('payload-too-large'),
          statement: {
            andStatement: {
              statements: [
                submitRequest,
                {
                  regexMatchStatement: {
                    fieldToMatch: { singleHeader: { Name: 'content-length' } },
                    regexString: CONTENT_LENGTH_AT_LEAST_300000,
                    textTransformations: [{ priority: 0, type: 'NONE' }],
                  },
                },
              ],
            },
          },
          visibilityConfig: visibility('SubmitBodyOverLimit'),
        },
      ],
    });
    const association = new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    association.node.addDependency(props.stage);
  }
}

/** A problem details body (WAF can only label it application/json). */
function problemBody(kind: ProblemKind, detail: string): string {
  const { status, title } = PROBLEM_KINDS[kind];
  return JSON.stringify({ type: PROBLEM_BASE + kind, title, status, detail });
}
