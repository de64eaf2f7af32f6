/**
 * Where TaskMonitoring's alarms go: a critical and a warning topic (encrypted, TLS only), the
 * routing of each alarm by its severity, and the subscriptions (e-mail, Slack through AWS Chatbot).
 * alarm --(Critical | Warning)--> topic --> e-mail, Slack channel, whatever else the team subscribes
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { type AlarmActionStrategyProps, type IAlarmActionStrategy, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import type { AlarmSubscriptions } from './alarm-settings.ts';

const TOPIC_KEY_ID = 'AlarmTopicKey';

/**
 * The key of the alarm topics, one per scope. CloudWatch cannot publish to a topic under the AWS
 * managed key (alias/aws/sns): its key policy cannot be changed to let CloudWatch use it, and alarms
 * would fail silently. So the topics get their own key that lets CloudWatch (this account only) in.
 */
function topicKey(scope: Construct): kms.IKey {
  const existing = scope.node.tryFindChild(TOPIC_KEY_ID);
  if (existing) return existing as kms.Key;
  const key = new kms.Key(scope, TOPIC_KEY_ID, {
    description: `${Stack.of(scope).stackName}: encrypts the alarm topics`,
    enableKeyRotation: true,
    // It encrypts notifications in flight only, nothing stored: it goes with the stack.
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  return key;
}

/** An encrypted, TLS-only topic for alarms. */
export function createAlarmTopic(scope: Construct, id: string, displayName: string): sns.Topic {
  return new sns.Topic(scope, id, { displayName, masterKey: topicKey(scope), enforceSSL: true });
}

/** The topics alarms are routed to. */
interface SeverityTopics {
  readonly critical: sns.ITopic;
  readonly warning: sns.ITopic;
  /** Where a return to OK goes; `false`: nowhere. @default - the alarm's own topic */
  readonly ok?: sns.ITopic | false;
}

/**
 * Sends each alarm to the topic of its severity (the `Critical` or `Warning` key it was declared
 * under, cdk-monitoring-constructs' disambiguator), and its return to OK to the same topic unless
 * told otherwise.
 */
export class SeverityRouting implements IAlarmActionStrategy {
  constructor(private readonly topics: SeverityTopics) {}

  addAlarmActions(props: AlarmActionStrategyProps): void {
    const topic = props.disambiguator === 'Critical' ? this.topics.critical : this.topics.warning;
    const ok = this.topics.ok === undefined ? topic : this.topics.ok;
    new SnsAlarmActionStrategy({ onAlarmTopic: topic, ...(ok && { onOkTopic: ok }) }).addAlarmActions(props);
  }
}

/** Subscribes e-mail addresses and a Slack channel to the topics. */
export function subscribe(
  scope: Construct,
  topics: { critical: sns.ITopic; warning: sns.ITopic },
  wanted: AlarmSubscriptions,
  namePrefix: string,
): void {
  for (const email of wanted.criticalEmails ?? []) topics.critical.addSubscription(new subscriptions.EmailSubscription(email));
  if (topics.warning !== topics.critical) {
    for (const email of wanted.warningEmails ?? []) topics.warning.addSubscription(new subscriptions.EmailSubscription(email));
  }
  if (wanted.slack) {
    new chatbot.SlackChannelConfiguration(scope, 'SlackChannel', {
      slackChannelConfigurationName: `${namePrefix}-alarms`.slice(0, 128),
      slackWorkspaceId: wanted.slack.workspaceId,
      slackChannelId: wanted.slack.channelId,
      notificationTopics: [...new Set([topics.critical, topics.warning])],
      // Without a guardrail AWS Chatbot applies AdministratorAccess; the channel only shows alarms.
      guardrailPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('CloudWatchReadOnlyAccess')],
    });
  }
}
