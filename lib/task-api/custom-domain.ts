/**
 * ApiDomain: the API on a domain of the team's own (https://api.example.com/<base path>/tasks):
 * a regional API Gateway domain name (TLS 1.2) with the team's certificate, a base path mapping to
 * the stage, and, given the hosted zone, the DNS alias record.
 * client --> api.example.com/<base path> --(base path mapping)--> stage v1
 */
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** A domain of the team's own for the API. */
export interface CustomDomainOptions {
  /** The domain name, e.g. `api.example.com`. */
  readonly domainName: string;
  /** A certificate for `domainName` in ACM, in the stack's region (a regional endpoint). */
  readonly certificate: acm.ICertificate;
  /**
   * The path under the domain the API answers on, e.g. `tasks` for https://api.example.com/tasks/…
   * (letters, digits, `-`, `_`, `.`, and `/` between segments). @default - the domain's root
   */
  readonly basePath?: string;
  /** The hosted zone of `domainName`: an alias record is created in it. @default - no record (point DNS at `domain.domainNameAliasDomainName` yourself) */
  readonly hostedZone?: route53.IHostedZone;
  /** Refuse requests on the execute-api URL, so every caller goes through the domain. @default false */
  readonly disableExecuteApiEndpoint?: boolean;
}

/** What {@link ApiDomain} receives. */
export interface ApiDomainProps extends CustomDomainOptions {
  /** The API; its deployment stage is mapped. */
  readonly api: apigateway.RestApi;
}

/** The API on a custom domain: domain name, base path mapping, and the DNS record when the zone is given. */
export class ApiDomain extends Construct {
  /** The API Gateway domain name. */
  public readonly domain: apigateway.DomainName;
  /** The API's base URL on the domain, e.g. `https://api.example.com/tasks` (no trailing slash). */
  public readonly url: string;
  /** The alias record, when `hostedZone` was given. */
  public readonly record?: route53.ARecord;

  constructor(scope: Construct, id: string, props: ApiDomainProps) {
    super(scope, id);
    this.domain = new apigateway.DomainName(this, 'DomainName', {
      domainName: props.domainName,
      certificate: props.certificate,
      endpointType: apigateway.EndpointType.REGIONAL,
      securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
    });
    new apigateway.BasePathMapping(this, 'Mapping', {
      domainName: this.domain,
      restApi: props.api,
      stage: props.api.deploymentStage,
      ...(props.basePath && { basePath: props.basePath }),
    });
    this.url = `https://${props.domainName}${props.basePath ? `/${props.basePath}` : ''}`;
    if (props.hostedZone) {
      this.record = new route53.ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new targets.ApiGatewayDomain(this.domain)),
      });
    }
  }
}
