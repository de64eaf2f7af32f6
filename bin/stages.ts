/**
 * The stages this app deploys, typed: what each one is (in code, reviewed like code) and where it
 * goes (facts of your organisation, from CDK context: `-c` or cdk.json).
 *
 *   dev      your sandbox: the demo worker, fast all-at-once deploys, deletable; the CLI's account
 *   staging  a rehearsal of prod with the demo worker, a dedicated smoke-test consumer and its quota
 *   prod     your worker (the echo placeholder until you plug yours in), termination protection,
 *            a customer managed key, gradual rollouts
 *
 * A stage's facts come from context keys `<stage>.<key>` (e.g. `prod.account`), or `<key>` for the
 * stage being deployed: account, region, runbookUrl, criticalEmails, warningEmails (comma-separated),
 * slackWorkspaceId, slackChannelId, domainName, certificateArn, basePath, hostedZoneId,
 * hostedZoneName, corsAllowOrigins (comma-separated). staging and prod need an explicit account,
 * region and runbookUrl: a synth never guesses where production is.
 */
import { Duration, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { LongrunStackProps, StackApiProps, StackWorker } from '../lib/demo/longrun-stack.ts';
import { echoWorker } from './echo-worker.ts';

export const STAGE_NAMES = ['dev', 'staging', 'prod'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** What a stage is: fixed in code. */
export interface StageSettings {
  /** The CloudFormation stack name (unique per account and region; also the deployment's name in metrics and alarms). */
  readonly stackName: string;
  /** Refuse `cdk destroy` / stack deletion. */
  readonly terminationProtection: boolean;
  /** `demo`: the demo task types (primes, sleep, report, fail); else your worker. */
  readonly worker: 'demo' | ((scope: Construct) => StackWorker);
  /** Encrypt everything with a customer managed key created in the stack (rotated yearly, kept when the stack goes). */
  readonly customerManagedKey: boolean;
  /** Must the stage name its account, region and runbook URL (no guessing from the shell)? */
  readonly explicit: boolean;
  /** Consumers, limits, rollout, retention… (the construct's props that need no construct). */
  readonly api: StackApiProps;
  /** Tags on every resource (cost allocation: activate `service` and `stage` in the Billing console). */
  readonly tags: Record<string, string>;
}

/** The consumer the pipeline's smoke test calls as: its own key, rate and daily quota. */
export const SMOKE_CONSUMER = 'smoke';

export const STAGES: Record<StageName, StageSettings> = {
  dev: {
    stackName: 'Longrun',
    terminationProtection: false,
    worker: 'demo',
    customerManagedKey: false,
    explicit: false,
    // Easy to tear down: nothing outlives the stack; deploys move traffic at once.
    api: { rollout: false, removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false },
    tags: { service: 'longrun', stage: 'dev' },
  },
  staging: {
    stackName: 'Longrun-staging',
    terminationProtection: false,
    worker: 'demo',
    customerManagedKey: false,
    explicit: true,
    api: {
      consumers: [{ name: 'default' }, { name: SMOKE_CONSUMER, rateLimit: 5, burstLimit: 10, quotaPerDay: 2000 }],
      throttle: { rateLimit: 20, burstLimit: 40 },
      // A third of the defaults: staging shares nothing with prod, but may share an account with dev.
      reservedConcurrency: { api: 5, backstop: 2, worker: 20, streamReaders: 2 },
      heldConnections: { perCaller: 5, longPolls: 10, streams: 10 },
      logRetention: {
        functions: logs.RetentionDays.TWO_WEEKS,
        workflow: logs.RetentionDays.TWO_WEEKS,
        accessLogs: logs.RetentionDays.THREE_MONTHS,
        executionLogs: logs.RetentionDays.TWO_WEEKS,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    },
    tags: { service: 'longrun', stage: 'staging' },
  },
  prod: {
    stackName: 'Longrun-prod',
    terminationProtection: true,
    worker: echoWorker,
    customerManagedKey: true,
    explicit: true,
    api: {
      consumers: [{ name: 'default', rateLimit: 40, burstLimit: 80 }],
      throttle: { rateLimit: 100, burstLimit: 200 },
      executionTimeout: Duration.hours(1),
      retention: Duration.days(30),
    },
    tags: { service: 'longrun', stage: 'prod' },
  },
};

/** Where a stage goes and who hears of it: facts of your organisation, from context. */
export interface StageTarget {
  readonly account?: string;
  readonly region?: string;
  readonly runbookUrl?: string;
  readonly criticalEmails?: string[];
  readonly warningEmails?: string[];
  readonly slack?: { workspaceId: string; channelId: string };
  readonly domain?: { domainName: string; certificateArn: string; basePath?: string; hostedZone?: { id: string; name: string } };
  readonly corsAllowOrigins?: string[];
}

/** A stage, ready to build: its settings and its target, checked. */
export interface StageConfig extends StageSettings {
  readonly name: StageName;
  readonly target: StageTarget;
}

type ContextReader = (key: string) => unknown;

/** Reads `<stage>.<key>`, then `<key>` when `stage` is the one being deployed. */
export function targetFromContext(read: ContextReader, stage: StageName, deploying: boolean): StageTarget {
  const text = (key: string): string | undefined => {
    const value = read(`${stage}.${key}`) ?? (deploying ? read(key) : undefined);
    return value === undefined || value === '' ? undefined : String(value);
  };
  const list = (key: string): string[] | undefined => {
    const items = text(key)
      ?.split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    return items?.length ? items : undefined;
  };
  const workspaceId = text('slackWorkspaceId');
  const channelId = text('slackChannelId');
  const domainName = text('domainName');
  const certificateArn = text('certificateArn');
  const hostedZoneId = text('hostedZoneId');
  const hostedZoneName = text('hostedZoneName');
  if (domainName && !certificateArn) throw new Error(`stage ${stage}: domainName needs certificateArn (an ACM certificate in the stage's region).`);
  if ((workspaceId === undefined) !== (channelId === undefined)) throw new Error(`stage ${stage}: slackWorkspaceId and slackChannelId go together.`);
  if ((hostedZoneId === undefined) !== (hostedZoneName === undefined))
    throw new Error(`stage ${stage}: hostedZoneId and hostedZoneName go together.`);
  return {
    account: text('account'),
    region: text('region'),
    runbookUrl: text('runbookUrl'),
    criticalEmails: list('criticalEmails'),
    warningEmails: list('warningEmails'),
    ...(workspaceId && channelId && { slack: { workspaceId, channelId } }),
    ...(domainName &&
      certificateArn && {
        domain: {
          domainName,
          certificateArn,
          basePath: text('basePath'),
          ...(hostedZoneId && hostedZoneName && { hostedZone: { id: hostedZoneId, name: hostedZoneName } }),
        },
      }),
    corsAllowOrigins: list('corsAllowOrigins'),
  };
}

/** A stage name from context, checked. */
export function stageNameOf(value: unknown): StageName {
  const name = String(value ?? 'dev');
  const found = STAGE_NAMES.find((stage) => stage === name);
  if (!found) throw new Error(`Unknown stage '${name}': use one of ${STAGE_NAMES.join(', ')}.`);
  return found;
}

/** A stage's settings with its target, checked: an explicit stage names its account, region and runbook. */
export function stageConfig(stage: StageName, target: StageTarget): StageConfig {
  const settings = STAGES[stage];
  if (settings.explicit) {
    const missing = (['account', 'region', 'runbookUrl'] as const).filter((key) => !target[key]);
    if (missing.length > 0) {
      throw new Error(
        `stage ${stage} deploys to an explicit place: set ${missing.map((key) => `${stage}.${key}`).join(', ')} (e.g. -c ${stage}.${missing[0]}=… or in cdk.json's context).`,
      );
    }
  }
  if (target.account !== undefined && !/^\d{12}$/.test(target.account))
    throw new Error(`stage ${stage}: account must be 12 digits, got '${target.account}'.`);
  if (target.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(target.region)) {
    throw new Error(`stage ${stage}: region must look like 'eu-west-1', got '${target.region}'.`);
  }
  return { ...settings, name: stage, target };
}

/** The stack's props for a stage: environment, protection, tags, and the construct's props, some built in the stack. */
export function stackPropsOf(config: StageConfig, fallbackEnv: { account?: string; region?: string } = {}): LongrunStackProps {
  const { target } = config;
  return {
    stackName: config.stackName,
    description: `Longrun (${config.name}): long-running work behind an asynchronous HTTP API`,
    // dev without a target deploys where the CLI points (environment-agnostic when it points nowhere).
    env: { account: target.account ?? fallbackEnv.account, region: target.region ?? fallbackEnv.region },
    terminationProtection: config.terminationProtection,
    tags: config.tags,
    worker: config.worker,
    api: (stack: Stack): StackApiProps => ({
      ...config.api,
      tags: config.tags,
      ...(target.corsAllowOrigins && { corsAllowOrigins: target.corsAllowOrigins }),
      ...(config.customerManagedKey && {
        encryptionKey: new kms.Key(stack, 'DataKey', {
          description: `${config.stackName}: encrypts tasks, results, queues, logs and execution data`,
          enableKeyRotation: true,
          // Data encrypted under it outlives the stack (the table and bucket are retained): so does the key.
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      }),
      ...(target.domain && {
        domain: {
          domainName: target.domain.domainName,
          basePath: target.domain.basePath,
          certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', target.domain.certificateArn),
          ...(target.domain.hostedZone && {
            hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
              hostedZoneId: target.domain.hostedZone.id,
              zoneName: target.domain.hostedZone.name,
            }),
          }),
        },
      }),
      monitoring: {
        ...(target.runbookUrl && { runbookUrl: target.runbookUrl }),
        subscriptions: { criticalEmails: target.criticalEmails, warningEmails: target.warningEmails, slack: target.slack },
      },
    }),
  };
}
