import { AlertProviderType, AlertSeverity, CanaryAlert, ChatAlertOptions } from '../../src/analysis/alert';

const FACTORIES: Array<[string, (options: ChatAlertOptions) => CanaryAlert, AlertProviderType, string]> = [
  ['slack', CanaryAlert.slack, AlertProviderType.SLACK, 'slack'],
  ['msteams', CanaryAlert.msteams, AlertProviderType.MSTEAMS, 'msteams'],
  ['discord', CanaryAlert.discord, AlertProviderType.DISCORD, 'discord'],
  ['rocket', CanaryAlert.rocket, AlertProviderType.ROCKET, 'rocket'],
  ['gchat', CanaryAlert.gchat, AlertProviderType.GCHAT, 'gchat'],
];

describe('AlertProviderType', () => {
  test('values are the AlertProvider types Flagger accepts', () => {
    expect(Object.values(AlertProviderType)).toEqual(['slack', 'msteams', 'discord', 'rocket', 'gchat']);
  });
});

describe('AlertSeverity', () => {
  test('values are the severities Flagger accepts', () => {
    expect({ ...AlertSeverity }).toEqual({ INFO: 'info', WARN: 'warn', ERROR: 'error' });
  });
});

describe.each(FACTORIES)('CanaryAlert.%s()', (_factoryName, factory, providerType, typeValue) => {
  test(`creates a provider of type '${typeValue}' that reads its address from the secret`, () => {
    const alert = factory({ secretName: 'chat-webhook' });
    expect(alert.providerType).toBe(providerType);
    expect(alert.providerType).toBe(typeValue);
    expect(alert.secretName).toBe('chat-webhook');
  });

  test(`is named '${typeValue}' by default`, () => {
    expect(factory({ secretName: 'chat-webhook' }).name).toBe(typeValue);
  });

  test('reports every event (severity info) by default', () => {
    expect(factory({ secretName: 'chat-webhook' }).severity).toBe(AlertSeverity.INFO);
  });

  test('leaves channel and username to the provider by default', () => {
    const alert = factory({ secretName: 'chat-webhook' });
    expect(alert.channel).toBeUndefined();
    expect(alert.username).toBeUndefined();
  });

  test('does not refer to an existing provider', () => {
    const alert = factory({ secretName: 'chat-webhook' });
    expect(alert.providerName).toBeUndefined();
    expect(alert.providerNamespace).toBeUndefined();
  });

  test('keeps the given name, channel, username and severity', () => {
    const alert = factory({ secretName: 'chat-webhook', name: 'oncall', channel: '#deploys', username: 'canary-bot', severity: AlertSeverity.ERROR });
    expect(alert.name).toBe('oncall');
    expect(alert.channel).toBe('#deploys');
    expect(alert.username).toBe('canary-bot');
    expect(alert.severity).toBe(AlertSeverity.ERROR);
    expect(alert.providerType).toBe(providerType);
    expect(alert.secretName).toBe('chat-webhook');
  });
});

describe('CanaryAlert.existingProvider()', () => {
  test('refers to the provider by name and is named after it by default', () => {
    const alert = CanaryAlert.existingProvider({ providerName: 'team-slack' });
    expect(alert.providerName).toBe('team-slack');
    expect(alert.name).toBe('team-slack');
  });

  test('leaves the namespace to the service by default', () => {
    expect(CanaryAlert.existingProvider({ providerName: 'team-slack' }).providerNamespace).toBeUndefined();
  });

  test('reports every event (severity info) by default', () => {
    expect(CanaryAlert.existingProvider({ providerName: 'team-slack' }).severity).toBe(AlertSeverity.INFO);
  });

  test('creates nothing: no provider type, secret, channel or username', () => {
    const alert = CanaryAlert.existingProvider({ providerName: 'team-slack' });
    expect(alert.providerType).toBeUndefined();
    expect(alert.secretName).toBeUndefined();
    expect(alert.channel).toBeUndefined();
    expect(alert.username).toBeUndefined();
  });

  test('keeps the given namespace, name and severity', () => {
    const alert = CanaryAlert.existingProvider({ providerName: 'team-slack', providerNamespace: 'flagger-system', name: 'team', severity: AlertSeverity.WARN });
    expect(alert.providerName).toBe('team-slack');
    expect(alert.providerNamespace).toBe('flagger-system');
    expect(alert.name).toBe('team');
    expect(alert.severity).toBe(AlertSeverity.WARN);
  });
});
