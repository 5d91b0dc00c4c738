import { ApiObject, Chart, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { namespaceSingleton, ownsArgoNotifications, sharingOf } from '../../addons/namespace-singleton';
import { AlertProviderType, AlertSeverity, CanaryAlert } from '../../analysis/alert';
import { DeclarationError, DeclarationErrors, fail } from '../../validation';

/**
 * The names Argo Rollouts' self-service notifications read in a Rollout's namespace (controller flag
 * `--self-service-notification-enabled`, docs/features/notifications.md "Namespace based
 * configuration"), fixed by the controller.
 */
export const NOTIFICATION_CONFIGMAP = 'argo-rollouts-notification-configmap';
export const NOTIFICATION_SECRET = 'argo-rollouts-notification-secret';

/**
 * The triggers each severity subscribes to. Argo Rollouts names a trigger after the event reason
 * (utils/record/record.go, translateReasonToTrigger: RolloutAborted is `on-rollout-aborted`).
 */
const TRIGGERS: { [severity: string]: string[] } = {
  [AlertSeverity.ERROR]: ['on-rollout-aborted', 'on-analysis-run-failed', 'on-analysis-run-error'],
  [AlertSeverity.WARN]: ['on-rollout-aborted', 'on-analysis-run-failed', 'on-analysis-run-error', 'on-rollout-paused'],
  [AlertSeverity.INFO]: [
    'on-rollout-aborted', 'on-analysis-run-failed', 'on-analysis-run-error', 'on-rollout-paused',
    'on-rollout-updated', 'on-rollout-step-completed', 'on-rollout-completed',
  ],
};

/** What each trigger says, with Go template fields of the Rollout (`.rollout`). */
const MESSAGES: { [trigger: string]: string } = {
  'on-rollout-aborted': 'Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} was aborted',
  'on-analysis-run-failed': 'An analysis of rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} failed',
  'on-analysis-run-error': 'An analysis of rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} could not run',
  'on-rollout-paused': 'Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} is paused at step {{.rollout.status.currentStepIndex}}',
  'on-rollout-updated': 'Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} started a release',
  'on-rollout-step-completed': 'Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} completed step {{.rollout.status.currentStepIndex}}',
  'on-rollout-completed': 'Rollout {{.rollout.metadata.namespace}}/{{.rollout.metadata.name}} is fully promoted',
};

/**
 * The JSON field each chat's incoming webhook reads the text from: Slack, Rocket.Chat, Google Chat
 * and Microsoft Teams (Office 365 connector) `text`, Discord `content`.
 */
const TEXT_FIELD: { [type: string]: string } = {
  [AlertProviderType.SLACK]: 'text',
  [AlertProviderType.MSTEAMS]: 'text',
  [AlertProviderType.DISCORD]: 'content',
  [AlertProviderType.ROCKET]: 'text',
  [AlertProviderType.GCHAT]: 'text',
};

/**
 * The notification configuration of one namespace (`argo-rollouts-notification-configmap`),
 * shared by its Rollouts: one webhook service per alert (the chat's incoming-webhook URL, read from
 * `argo-rollouts-notification-secret`, the same URL Flagger's AlertProviders take), the triggers and
 * their templates.
 */
export class ArgoNotificationConfig extends Construct {
  /** The configuration of the namespace, created once per app. */
  public static of(scope: Construct, namespace: string): ArgoNotificationConfig {
    return namespaceSingleton(scope, 'argo-notifications', namespace, (chart: Chart, id: string) => new ArgoNotificationConfig(chart, id, namespace));
  }

  /** The ConfigMap. */
  public readonly apiObject: ApiObject;
  private readonly services = new Map<string, { type: AlertProviderType; key: string; owner: string }>();
  private readonly triggers = new Set<string>();

  private constructor(scope: Construct, id: string, namespace: string) {
    super(scope, id);
    this.apiObject = new ApiObject(this, 'Resource', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: NOTIFICATION_CONFIGMAP, namespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-canary' } },
      data: Lazy.any({ produce: () => this.render() }),
    });
  }

  /**
   * Adds the webhook service of an alert (named `<service>-<alert>`) and its triggers; returns the
   * subscription of the Rollout to them.
   */
  public subscribe(owner: string, service: string, alert: CanaryAlert): AlertSubscription {
    const serviceName = `${service}-${alert.name}`;
    const key = alert.secretKey ?? 'address';
    const existing = [...this.services.entries()].find(([name, s]) => name !== serviceName && s.key === key);
    if (existing) {
      fail(owner, `alert '${alert.name}' reads the webhook URL from the key '${key}' of '${NOTIFICATION_SECRET}', which ${existing[1].owner} reads too: give each alert of the namespace its own 'secretKey'`);
    }
    this.services.set(serviceName, { type: alert.providerType!, key, owner: `alert '${alert.name}' of ${owner}` });
    const triggers = TRIGGERS[alert.severity];
    triggers.forEach((trigger) => this.triggers.add(trigger));
    return { triggers, service: serviceName, recipient: alert.channel ?? alert.name };
  }

  /** `service.webhook.<name>`, `trigger.<name>` and `template.<name>` entries, sorted. */
  private render(): { [key: string]: string } {
    const data: { [key: string]: string } = {};
    const services = [...this.services.entries()].sort(([a], [b]) => a.localeCompare(b));
    for (const [name, { key }] of services) {
      data[`service.webhook.${name}`] = `url: $${key}\nheaders:\n- name: Content-Type\n  value: application/json\n`;
    }
    for (const trigger of [...this.triggers].sort()) {
      const template = trigger.replace(/^on-/, '');
      data[`trigger.${trigger}`] = `- send: [${template}]\n`;
      const webhooks = services.map(([name, { type }]) => `  ${name}:\n    method: POST\n    body: |\n      {"${TEXT_FIELD[type]}": "${MESSAGES[trigger]}"}\n`).join('');
      data[`template.${template}`] = `message: "${MESSAGES[trigger]}"\nwebhook:\n${webhooks}`;
    }
    return data;
  }
}

/**
 * What Argo Rollouts cannot send of the alerts, every alert's mistakes together: a Flagger
 * AlertProvider, another Secret than the one the controller reads, a key it would not substitute.
 */
export function checkArgoAlerts(owner: string, alerts: CanaryAlert[]): void {
  const problems = alerts.flatMap((alert, i) => {
    const property = `analysis.alerts[${i}]`;
    if (alert.providerType === undefined) {
      return [`'${property}' ('${alert.name}') names a Flagger AlertProvider, which Argo Rollouts does not read: use CanaryAlert.slack(), msteams(), discord(), rocket() or gchat()`];
    }
    const key = alert.secretKey ?? 'address';
    const found: string[] = [];
    if (alert.secretName !== NOTIFICATION_SECRET) {
      found.push(`'${property}.secretName' ('${alert.secretName}') must be '${NOTIFICATION_SECRET}' with Argo Rollouts: the controller reads a namespace's notification credentials from that Secret only; put the webhook URL under the key '${key}' there`);
    }
    if (!SUBSTITUTED_KEY.test(key)) {
      const looked = key.match(/^[\w-]*/)![0];
      found.push(`'${property}.secretKey' ('${key}') must be letters, digits, '_' and '-' with Argo Rollouts: the webhook service reads its URL as '$${key}', `
        + "and notifications-engine replaces only '$' followed by letters, digits, '_' and '-' ([$][\\w-]+, pkg/api/config.go), "
        + `so it would ${looked ? `look up the key '${looked}'` : 'look up no key'} and never '${key}'; use e.g. '${key.replace(/[^\w-]/g, '-')}' (and that key in '${NOTIFICATION_SECRET}')`);
    }
    return found;
  });
  if (problems.length > 0) throw new DeclarationError(problems.map((problem) => `${owner}: ${problem}`));
}

/**
 * Subscribes a Rollout to its alerts (checked with `checkArgoAlerts`): Argo Rollouts' self-service
 * notifications, configured in the Rollout's namespace. The webhook URL must be in
 * `argo-rollouts-notification-secret` there (the only Secret the controller reads for a namespace).
 */
export function subscribeAlerts(
  scope: Construct, owner: string, rollout: ApiObject, service: string, namespace: string, alerts: CanaryAlert[],
): ArgoNotificationConfig | undefined {
  if (alerts.length === 0) return undefined;
  checkArgoAlerts(owner, alerts);
  checkNotificationOwner(scope, owner, namespace, alerts);
  const config = ArgoNotificationConfig.of(scope, namespace);
  const subscriptions: AlertSubscription[] = [];
  // Every alert's mistakes are reported together.
  const errors = new DeclarationErrors();
  alerts.forEach((alert) => errors.attempt(() => {
    subscriptions.push(config.subscribe(owner, service, alert));
  }));
  errors.throwIfAny();
  rollout.metadata.addAnnotation(SUBSCRIPTIONS_ANNOTATION, renderSubscriptions(subscriptions));
  return config;
}

/**
 * In a named app (several apps per namespace), alerts write the namespace's one notification
 * ConfigMap only where the app declared it owns it: Argo Rollouts reads that name alone (utils/record
 * record.go NotificationConfigMap, the controller's informer selects `metadata.name`), so two apps
 * writing it would each drop the other's services and triggers at every apply.
 */
function checkNotificationOwner(scope: Construct, owner: string, namespace: string, alerts: CanaryAlert[]): void {
  if (ownsArgoNotifications(scope, namespace)) return;
  const appName = sharingOf(scope).appName!;
  const names = alerts.map((alert) => `'${alert.name}'`).join(', ');
  fail(owner, `'analysis.alerts' (${names}) would write Argo Rollouts' notification ConfigMap '${NOTIFICATION_CONFIGMAP}' of namespace '${namespace}', `
    + `which the controller reads by that name for every Rollout of the namespace, and which the app '${appName}' does not own: another app of the `
    + "namespace writing it too would drop this one's services and triggers at its next apply (the last apply wins). If this app owns it, "
    + `add '${namespace}' to SharedAddons.configure(app, { argoNotificationNamespaces }) and declare no Argo Rollouts alerts in the other apps of `
    + `'${namespace}'; otherwise remove the alerts (the app that owns it may declare them)`);
}

/**
 * The plan note of a named app that writes a namespace's notification ConfigMap: it owns it, and
 * no other app of the namespace may declare Argo Rollouts alerts. None in an unnamed app.
 */
export function notificationOwnerNote(scope: Construct, namespace: string, alerts: CanaryAlert[]): string[] {
  const appName = sharingOf(scope).appName;
  if (appName === undefined || alerts.length === 0) return [];
  return [`the app '${appName}' owns Argo Rollouts' notification ConfigMap '${namespace}/${NOTIFICATION_CONFIGMAP}' (SharedAddons.configure `
    + `'argoNotificationNamespaces'), with every alert of its Rollouts in '${namespace}': no other app of the namespace may declare Argo Rollouts `
    + "alerts (it would write the same ConfigMap, and the last apply would drop the other app's services and triggers)"];
}

/** A Secret key notifications-engine substitutes whole: `$<key>` matches `[$][\w-]+` (v0.5.0 pkg/api/config.go, keyPattern). */
const SUBSTITUTED_KEY = /^[\w-]+$/;

/** A Rollout's subscription of one notification service to triggers. */
export interface AlertSubscription {
  readonly triggers: string[];
  /** The service in the namespace's notification ConfigMap. */
  readonly service: string;
  /** The recipient (a webhook service ignores it). */
  readonly recipient: string;
}

/**
 * The annotation that lists every subscription of an object in its value (notifications-engine
 * v0.5.0 pkg/subscriptions/annotations.go, read by Argo Rollouts 1.9 utils/record/record.go through
 * GetDestinations). The one-per-subscription form, `subscribe.<trigger>.<service>`, puts the trigger
 * and the service in the key, whose name part the API server limits to 63 characters
 * (`subscribe.on-rollout-step-completed.` alone is 36).
 */
export const SUBSCRIPTIONS_ANNOTATION = 'notifications.argoproj.io/subscriptions';

/**
 * The value of the subscriptions annotation: a YAML list of `{trigger: [...], destinations:
 * [{service, recipients}]}`, its strings quoted (a channel such as `#releases` would otherwise be a
 * YAML comment).
 */
export function renderSubscriptions(subscriptions: AlertSubscription[]): string {
  const quote = (value: string) => JSON.stringify(value);
  return subscriptions.map((s) => `- trigger: [${s.triggers.map(quote).join(', ')}]\n`
    + '  destinations:\n'
    + `  - service: ${quote(s.service)}\n`
    + `    recipients: [${quote(s.recipient)}]\n`).join('');
}
