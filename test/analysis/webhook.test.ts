import { Duration } from 'cdk8s';
import { CanaryWebhook, GateStage, LoadTesterCommandType, WebhookType } from '../../src/analysis/webhook';

const ACCEPTANCE = "curl -sd 'test' http://podinfo-canary.test/token | grep token";
const LOAD = 'hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/';

describe('WebhookType', () => {
  test('values are the webhook types Flagger accepts', () => {
    expect({ ...WebhookType }).toEqual({
      CONFIRM_ROLLOUT: 'confirm-rollout',
      PRE_ROLLOUT: 'pre-rollout',
      ROLLOUT: 'rollout',
      CONFIRM_TRAFFIC_INCREASE: 'confirm-traffic-increase',
      CONFIRM_PROMOTION: 'confirm-promotion',
      POST_ROLLOUT: 'post-rollout',
      ROLLBACK: 'rollback',
      EVENT: 'event',
    });
  });
});

describe('LoadTesterCommandType', () => {
  test('values are the loadtester metadata types cmd and bash', () => {
    expect({ ...LoadTesterCommandType }).toEqual({ CMD: 'cmd', BASH: 'bash' });
  });
});

describe('CanaryWebhook.acceptanceTest()', () => {
  test("is a pre-rollout webhook named 'acceptance-test' by default", () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: ACCEPTANCE });
    expect(webhook.name).toBe('acceptance-test');
    expect(webhook.type).toBe(WebhookType.PRE_ROLLOUT);
  });

  test("posts to the loadtester's command endpoint (empty path), not to a URL", () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: ACCEPTANCE });
    expect(webhook.loadTesterPath).toBe('');
    expect(webhook.url).toBeUndefined();
    expect(webhook.usesLoadTester).toBe(true);
  });

  test('runs the command with bash: metadata {type: bash, cmd}', () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: ACCEPTANCE });
    expect(webhook.metadata).toEqual({ type: 'bash', cmd: ACCEPTANCE });
    expect(webhook.command).toBe(ACCEPTANCE);
    expect(webhook.commandType).toBe(LoadTesterCommandType.BASH);
  });

  test('waits 30 seconds for the answer by default', () => {
    expect(CanaryWebhook.acceptanceTest({ command: ACCEPTANCE }).timeout?.toMilliseconds()).toBe(30_000);
  });

  test('keeps the given name and timeout', () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: ACCEPTANCE, name: 'smoke-test', timeout: Duration.minutes(2) });
    expect(webhook.name).toBe('smoke-test');
    expect(webhook.timeout?.toMilliseconds()).toBe(120_000);
  });

  test('sets neither muteAlert nor retries', () => {
    const webhook = CanaryWebhook.acceptanceTest({ command: ACCEPTANCE });
    expect(webhook.muteAlert).toBeUndefined();
    expect(webhook.retries).toBeUndefined();
  });
});

describe('CanaryWebhook.loadTest()', () => {
  test("is a rollout webhook named 'load-test' by default", () => {
    const webhook = CanaryWebhook.loadTest({ command: LOAD });
    expect(webhook.name).toBe('load-test');
    expect(webhook.type).toBe(WebhookType.ROLLOUT);
  });

  test("posts to the loadtester's command endpoint (empty path), not to a URL", () => {
    const webhook = CanaryWebhook.loadTest({ command: LOAD });
    expect(webhook.loadTesterPath).toBe('');
    expect(webhook.url).toBeUndefined();
    expect(webhook.usesLoadTester).toBe(true);
  });

  test('starts the command in the background: metadata {type: cmd, cmd}', () => {
    const webhook = CanaryWebhook.loadTest({ command: LOAD });
    expect(webhook.metadata).toEqual({ type: 'cmd', cmd: LOAD });
    expect(webhook.command).toBe(LOAD);
    expect(webhook.commandType).toBe(LoadTesterCommandType.CMD);
  });

  test('waits 5 seconds for the answer by default', () => {
    expect(CanaryWebhook.loadTest({ command: LOAD }).timeout?.toMilliseconds()).toBe(5_000);
  });

  test('keeps the given name and timeout', () => {
    const webhook = CanaryWebhook.loadTest({ command: LOAD, name: 'grpc-load', timeout: Duration.seconds(15) });
    expect(webhook.name).toBe('grpc-load');
    expect(webhook.timeout?.toMilliseconds()).toBe(15_000);
  });

  test('gives every webhook its own metadata object', () => {
    const a = CanaryWebhook.loadTest({ command: 'hey http://a/' });
    const b = CanaryWebhook.loadTest({ command: 'hey http://b/' });
    expect(a.metadata).not.toBe(b.metadata);
    expect(a.metadata).toEqual({ type: 'cmd', cmd: 'hey http://a/' });
    expect(b.metadata).toEqual({ type: 'cmd', cmd: 'hey http://b/' });
  });
});

describe('CanaryWebhook.manualGate()', () => {
  test.each([
    [GateStage.CONFIRM_ROLLOUT, WebhookType.CONFIRM_ROLLOUT, 'confirm-rollout-gate'],
    [GateStage.CONFIRM_TRAFFIC_INCREASE, WebhookType.CONFIRM_TRAFFIC_INCREASE, 'confirm-traffic-increase-gate'],
    [GateStage.CONFIRM_PROMOTION, WebhookType.CONFIRM_PROMOTION, 'confirm-promotion-gate'],
  ])('stage %s is a %s webhook named %s by default', (stage, type, name) => {
    const webhook = CanaryWebhook.manualGate({ stage });
    expect(webhook.type).toBe(type);
    expect(webhook.name).toBe(name);
  });

  test.each([GateStage.CONFIRM_ROLLOUT, GateStage.CONFIRM_TRAFFIC_INCREASE, GateStage.CONFIRM_PROMOTION])(
    'stage %s checks the loadtester gate at gate/check',
    (stage) => {
      const webhook = CanaryWebhook.manualGate({ stage });
      expect(webhook.loadTesterPath).toBe('gate/check');
      expect(webhook.url).toBeUndefined();
      expect(webhook.usesLoadTester).toBe(true);
    },
  );

  test('sends no command, metadata or timeout', () => {
    const webhook = CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION });
    expect(webhook.metadata).toBeUndefined();
    expect(webhook.command).toBeUndefined();
    expect(webhook.commandType).toBeUndefined();
    expect(webhook.timeout).toBeUndefined();
  });

  test('keeps the given name', () => {
    expect(CanaryWebhook.manualGate({ stage: GateStage.CONFIRM_PROMOTION, name: 'release-approval' }).name).toBe('release-approval');
  });
});

describe('CanaryWebhook.rollbackGate()', () => {
  test("is a rollback webhook named 'rollback-gate' by default", () => {
    const webhook = CanaryWebhook.rollbackGate();
    expect(webhook.name).toBe('rollback-gate');
    expect(webhook.type).toBe(WebhookType.ROLLBACK);
  });

  test('checks the loadtester rollback switch at rollback/check', () => {
    const webhook = CanaryWebhook.rollbackGate();
    expect(webhook.loadTesterPath).toBe('rollback/check');
    expect(webhook.url).toBeUndefined();
    expect(webhook.usesLoadTester).toBe(true);
  });

  test('sends no command, metadata or timeout', () => {
    const webhook = CanaryWebhook.rollbackGate();
    expect(webhook.metadata).toBeUndefined();
    expect(webhook.command).toBeUndefined();
    expect(webhook.timeout).toBeUndefined();
  });

  test('keeps the given name', () => {
    expect(CanaryWebhook.rollbackGate({ name: 'panic-button' }).name).toBe('panic-button');
  });
});

describe('CanaryWebhook.http()', () => {
  test('keeps name, type, url, timeout, metadata, muteAlert and retries', () => {
    const webhook = CanaryWebhook.http({
      name: 'notify',
      type: WebhookType.POST_ROLLOUT,
      url: 'https://hooks.example.com/flagger',
      timeout: Duration.seconds(20),
      metadata: { team: 'payments' },
      muteAlert: true,
      retries: 3,
    });
    expect(webhook.name).toBe('notify');
    expect(webhook.type).toBe(WebhookType.POST_ROLLOUT);
    expect(webhook.url).toBe('https://hooks.example.com/flagger');
    expect(webhook.timeout?.toMilliseconds()).toBe(20_000);
    expect(webhook.metadata).toEqual({ team: 'payments' });
    expect(webhook.muteAlert).toBe(true);
    expect(webhook.retries).toBe(3);
  });

  test('is not served by the loadtester', () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'http://events.example.com/' });
    expect(webhook.loadTesterPath).toBeUndefined();
    expect(webhook.usesLoadTester).toBe(false);
  });

  test("leaves timeout to Flagger's default and sets no metadata, muteAlert, retries or command", () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'http://events.example.com/' });
    expect(webhook.timeout).toBeUndefined();
    expect(webhook.metadata).toBeUndefined();
    expect(webhook.muteAlert).toBeUndefined();
    expect(webhook.retries).toBeUndefined();
    expect(webhook.command).toBeUndefined();
    expect(webhook.commandType).toBeUndefined();
  });

  test('keeps muteAlert false and retries 0 rather than dropping them', () => {
    const webhook = CanaryWebhook.http({ name: 'notify', type: WebhookType.EVENT, url: 'http://events.example.com/', muteAlert: false, retries: 0 });
    expect(webhook.muteAlert).toBe(false);
    expect(webhook.retries).toBe(0);
  });
});
