import { Chart, Testing } from 'cdk8s';
import * as yaml from 'js-yaml';
import { AlertSeverity, CanaryAlert, CanaryService, CanaryWebhook, DeliveryEngine, GitOps, TrafficRouter } from '../../../src';
import { declareService, only, synth, validated } from '../../synth';

const OWNER = "CanaryService 'podinfo'";
const SECRET = 'argo-rollouts-notification-secret';

function declare(alerts: CanaryAlert[], chart = new Chart(Testing.app(), 'test', { namespace: 'test' }), name = 'podinfo'): Chart {
  validated(new CanaryService(chart, name, {
    gitOps: GitOps.none(),
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine: DeliveryEngine.argoRollouts(),
    router: TrafficRouter.istio(),
    analysis: { webhooks: [CanaryWebhook.loadTest()], alerts },
  }));
  return chart;
}

/**
 * The destinations of each trigger as notifications-engine v0.5.0 reads them from the Rollout's
 * annotations (pkg/subscriptions/annotations.go, iterate: the `subscriptions` annotation is a YAML
 * list of {trigger, destinations: [{service, recipients}]}), as `<trigger>.<service>=<recipient>`.
 */
const subscriptions = (rollout: any) => Object.entries(rollout.metadata.annotations ?? {})
  .filter(([key]) => key.startsWith('notifications.argoproj.io/subscri'))
  .flatMap(([key, value]) => {
    expect(key).toBe('notifications.argoproj.io/subscriptions');
    return (yaml.load(value as string) as any[]).flatMap((s) => s.trigger.flatMap((trigger: string) =>
      s.destinations.flatMap((d: any) => d.recipients.map((r: string) => `${trigger}.${d.service}=${r}`))));
  }).sort();

describe('the same CanaryAlert values as Flagger, as Argo Rollouts notifications', () => {
  const manifests = synth(declare([
    CanaryAlert.slack({ secretName: SECRET, secretKey: 'slack-url', channel: 'releases', severity: AlertSeverity.ERROR }),
    CanaryAlert.discord({ secretName: SECRET, secretKey: 'discord-url', severity: AlertSeverity.WARN }),
    CanaryAlert.msteams({ secretName: SECRET, secretKey: 'teams-url' }),
  ]));
  const rollout = only(manifests, 'Rollout', 'podinfo');
  const config = only(manifests, 'ConfigMap', 'argo-rollouts-notification-configmap');

  test('the Rollout subscribes each alert\'s service to the triggers of its severity', () => {
    expect(subscriptions(rollout)).toEqual([
      'on-analysis-run-error.podinfo-discord=discord',
      'on-analysis-run-error.podinfo-msteams=msteams',
      'on-analysis-run-error.podinfo-slack=releases',
      'on-analysis-run-failed.podinfo-discord=discord',
      'on-analysis-run-failed.podinfo-msteams=msteams',
      'on-analysis-run-failed.podinfo-slack=releases',
      'on-rollout-aborted.podinfo-discord=discord',
      'on-rollout-aborted.podinfo-msteams=msteams',
      'on-rollout-aborted.podinfo-slack=releases',
      'on-rollout-completed.podinfo-msteams=msteams',
      'on-rollout-paused.podinfo-discord=discord',
      'on-rollout-paused.podinfo-msteams=msteams',
      'on-rollout-step-completed.podinfo-msteams=msteams',
      'on-rollout-updated.podinfo-msteams=msteams',
    ]);
  });

  test('the namespace\'s configuration: a webhook service per alert, reading the URL from the Secret by key', () => {
    expect(config.metadata.namespace).toBe('test');
    expect(yaml.load(config.data['service.webhook.podinfo-slack'])).toEqual({ url: '$slack-url', headers: [{ name: 'Content-Type', value: 'application/json' }] });
    expect(yaml.load(config.data['service.webhook.podinfo-discord'])).toMatchObject({ url: '$discord-url' });
    expect(yaml.load(config.data['service.webhook.podinfo-msteams'])).toMatchObject({ url: '$teams-url' });
  });

  test('every subscribed trigger is defined and sends a template that exists', () => {
    const triggers = new Set(subscriptions(rollout).map((s) => s.split('.')[0]));
    for (const trigger of triggers) {
      const [{ send }] = yaml.load(config.data[`trigger.${trigger}`]) as any[];
      for (const template of send) expect(config.data[`template.${template}`]).toBeDefined();
    }
  });

  test('each template posts JSON in the field each chat reads (Discord: content; the others: text)', () => {
    const template = yaml.load(config.data['template.rollout-aborted']) as any;
    const rendered = (body: string) => JSON.parse(body.replace(/\{\{[^}]+\}\}/g, 'x'));
    expect(rendered(template.webhook['podinfo-discord'].body)).toEqual({ content: 'Rollout x/x was aborted' });
    expect(rendered(template.webhook['podinfo-slack'].body)).toEqual({ text: 'Rollout x/x was aborted' });
    expect(template.webhook['podinfo-slack'].method).toBe('POST');
  });
});

test('services of one namespace share its one configuration', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  declare([CanaryAlert.slack({ secretName: SECRET, secretKey: 'frontend-slack' })], chart, 'frontend');
  declare([CanaryAlert.slack({ secretName: SECRET, secretKey: 'backend-slack' })], chart, 'backend');
  const config = only(synth(chart), 'ConfigMap', 'argo-rollouts-notification-configmap');
  expect(Object.keys(config.data).filter((k) => k.startsWith('service.'))).toEqual(['service.webhook.backend-slack', 'service.webhook.frontend-slack']);
});

test('long service and alert names subscribe with an annotation key the API server accepts, and channels stay strings', () => {
  // 'subscribe.on-rollout-step-completed.checkout-service-team-payments' would be 67 characters.
  const manifests = synth(declare([CanaryAlert.slack({ secretName: SECRET, name: 'team-payments', channel: '#releases' })], undefined, 'checkout-service'));
  const rollout = only(manifests, 'Rollout', 'checkout-service');
  expect(Object.keys(rollout.metadata.annotations)).toEqual(['notifications.argoproj.io/subscriptions']);
  expect(rollout.metadata.annotations['notifications.argoproj.io/subscriptions']).toBe([
    '- trigger: ["on-rollout-aborted", "on-analysis-run-failed", "on-analysis-run-error", "on-rollout-paused", "on-rollout-updated", "on-rollout-step-completed", "on-rollout-completed"]',
    '  destinations:',
    '  - service: "checkout-service-team-payments"',
    '    recipients: ["#releases"]',
    '',
  ].join('\n'));
  expect(subscriptions(rollout)).toContain('on-rollout-step-completed.checkout-service-team-payments=#releases');
  const config = only(manifests, 'ConfigMap', 'argo-rollouts-notification-configmap');
  expect(config.data['service.webhook.checkout-service-team-payments']).toBeDefined();
});

describe('what Argo Rollouts cannot read fails with a message', () => {
  test('another Secret', () => {
    expect(() => declare([CanaryAlert.slack({ secretName: 'slack-webhook' })])).toThrow(
      `${OWNER}: 'analysis.alerts[0].secretName' ('slack-webhook') must be '${SECRET}' with Argo Rollouts: the controller reads a namespace's notification credentials from that Secret only; put the webhook URL under the key 'address' there`,
    );
  });

  test('a Flagger AlertProvider', () => {
    expect(() => declare([CanaryAlert.existingProvider({ providerName: 'team-slack' })])).toThrow(
      `${OWNER}: 'analysis.alerts[0]' ('team-slack') names a Flagger AlertProvider, which Argo Rollouts does not read: use CanaryAlert.slack(), msteams(), discord(), rocket() or gchat()`,
    );
  });

  test('two alerts of a namespace on one key', () => {
    expect(() => declare([CanaryAlert.slack({ secretName: SECRET }), CanaryAlert.gchat({ secretName: SECRET })])).toThrow(
      `${OWNER}: alert 'gchat' reads the webhook URL from the key 'address' of '${SECRET}', which alert 'slack' of ${OWNER} reads too: give each alert of the namespace its own 'secretKey'`,
    );
  });

  test('a key that is not a Secret key', () => {
    expect(() => declare([CanaryAlert.slack({ secretName: SECRET, secretKey: 'slack url' })])).toThrow(
      `${OWNER}: 'analysis.alerts[0].secretKey' ('slack url') must be a Secret key: letters, digits, '-', '_' and '.'`,
    );
  });
});

describe('a Secret key with a dot is never substituted (notifications-engine v0.5.0 pkg/api/config.go: `$<key>` matches [$][\\w-]+)', () => {
  const dotted = (key: string, looked: string) => `${OWNER}: 'analysis.alerts[0].secretKey' ('${key}') must be letters, digits, '_' and '-' with Argo Rollouts: `
    + `the webhook service reads its URL as '$${key}', and notifications-engine replaces only '$' followed by letters, digits, '_' and '-' `
    + `([$][\\w-]+, pkg/api/config.go), so it would ${looked} and never '${key}'; use e.g. 'slack-url' (and that key in '${SECRET}')`;

  test('slack.url: the engine would look up slack', () => {
    expect(() => declare([CanaryAlert.slack({ secretName: SECRET, secretKey: 'slack.url' })])).toThrow(dotted('slack.url', "look up the key 'slack'"));
  });

  test('the key the service reads is the one the check passed', () => {
    const config = only(synth(declare([CanaryAlert.slack({ secretName: SECRET, secretKey: 'slack_url-2' })])), 'ConfigMap', 'argo-rollouts-notification-configmap');
    expect(config.data['service.webhook.podinfo-slack']).toBe('url: $slack_url-2\nheaders:\n- name: Content-Type\n  value: application/json\n');
  });

  test('every alert\'s mistakes at once', () => {
    const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
    new CanaryService(chart, 'podinfo', {
      image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
      containerPort: 9898,
      engine: DeliveryEngine.argoRollouts(),
      router: TrafficRouter.istio(),
      analysis: {
        webhooks: [CanaryWebhook.loadTest()],
        alerts: [
          CanaryAlert.slack({ secretName: 'slack-webhook', secretKey: 'slack.url' }),
          CanaryAlert.existingProvider({ providerName: 'team-slack' }),
        ],
      },
    });
    let lines: string[] = [];
    try {
      Testing.synth(chart);
    } catch (error) {
      lines = (error as Error).message.split('\n').slice(1).map((line) => line.replace(/^ {2}\[[^\]]*\] /, ''));
    }
    expect(lines).toEqual([
      `${OWNER}: 'analysis.alerts[0].secretName' ('slack-webhook') must be '${SECRET}' with Argo Rollouts: the controller reads a namespace's notification credentials from that Secret only; put the webhook URL under the key 'slack.url' there`,
      dotted('slack.url', "look up the key 'slack'"),
      `${OWNER}: 'analysis.alerts[1]' ('team-slack') names a Flagger AlertProvider, which Argo Rollouts does not read: use CanaryAlert.slack(), msteams(), discord(), rocket() or gchat()`,
    ]);
  });
});

test('Flagger reads only the key address', () => {
  const chart = new Chart(Testing.app(), 'test', { namespace: 'test' });
  expect(() => declareService(chart, 'podinfo', {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    engine: DeliveryEngine.flagger(),
    router: TrafficRouter.istio(),
    analysis: { webhooks: [CanaryWebhook.loadTest()], alerts: [CanaryAlert.slack({ secretName: 'slack', secretKey: 'url' })] },
  })).toThrow("FlaggerCanary 'podinfo': alert 'slack': Flagger's AlertProvider reads the webhook URL from the key 'address' of its Secret, not 'url'; leave 'secretKey' out");
});
