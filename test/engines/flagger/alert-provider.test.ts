import { ApiObject, Chart, Testing } from 'cdk8s';
import { AlertProviderType } from '../../../src/analysis/alert';
import { AlertProvider } from '../../../src/engines/flagger/alert-provider';
import { only, synth } from '../../synth';

const SUBDOMAIN_RULE = "must be a DNS subdomain of at most 253 characters: lower-case letters, digits, '-' and '.'";

function newChart(): Chart {
  return new Chart(Testing.app(), 'test', { namespace: 'test' });
}

test('renders the type and a secretRef, never an address', () => {
  const chart = newChart();
  new AlertProvider(chart, 'slack', {
    metadata: { name: 'podinfo-slack', namespace: 'test' },
    type: AlertProviderType.SLACK,
    secretName: 'slack-webhook',
  });
  const provider = only(synth(chart), 'AlertProvider', 'podinfo-slack');
  expect(provider).toEqual({
    apiVersion: 'flagger.app/v1beta1',
    kind: 'AlertProvider',
    metadata: { name: 'podinfo-slack', namespace: 'test' },
    spec: { type: 'slack', secretRef: { name: 'slack-webhook' } },
  });
  expect(provider.spec).not.toHaveProperty('address');
});

test('channel and username', () => {
  const chart = newChart();
  new AlertProvider(chart, 'slack', {
    metadata: { name: 'podinfo-slack', namespace: 'test', labels: { 'app.kubernetes.io/name': 'podinfo' } },
    type: AlertProviderType.SLACK,
    secretName: 'slack-webhook',
    channel: 'deploys',
    username: 'flagger-bot',
  });
  const provider = only(synth(chart), 'AlertProvider');
  expect(provider.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'podinfo' });
  expect(provider.spec).toEqual({ type: 'slack', channel: 'deploys', username: 'flagger-bot', secretRef: { name: 'slack-webhook' } });
});

test.each([
  [AlertProviderType.SLACK, 'slack'],
  [AlertProviderType.MSTEAMS, 'msteams'],
  [AlertProviderType.DISCORD, 'discord'],
  [AlertProviderType.ROCKET, 'rocket'],
  [AlertProviderType.GCHAT, 'gchat'],
])('type %p renders as %p', (type, expected) => {
  const chart = newChart();
  new AlertProvider(chart, 'provider', { metadata: { name: `podinfo-${expected}`, namespace: 'test' }, type, secretName: 'chat-url' });
  expect(only(synth(chart), 'AlertProvider').spec.type).toBe(expected);
});

test('a dotted secret name is accepted', () => {
  const chart = newChart();
  new AlertProvider(chart, 'provider', { metadata: { name: 'podinfo-teams', namespace: 'test' }, type: AlertProviderType.MSTEAMS, secretName: 'teams.webhook' });
  expect(only(synth(chart), 'AlertProvider').spec.secretRef).toEqual({ name: 'teams.webhook' });
});

test('name and defaultChild', () => {
  const provider = new AlertProvider(newChart(), 'slack', {
    metadata: { name: 'podinfo-slack', namespace: 'test' },
    type: AlertProviderType.SLACK,
    secretName: 'slack-webhook',
  });
  expect(provider.name).toBe('podinfo-slack');
  const l1 = ApiObject.of(provider);
  expect(l1).toBe(provider.apiObject);
  expect(l1.apiVersion).toBe('flagger.app/v1beta1');
  expect(l1.kind).toBe('AlertProvider');
});

describe('errors', () => {
  test.each(['Slack_Webhook', '', '-slack', 'slack-', 'slack webhook'])('secretName %p is not a DNS subdomain', (secretName) => {
    expect(() => new AlertProvider(newChart(), 'slack', {
      metadata: { name: 'podinfo-slack', namespace: 'test' },
      type: AlertProviderType.SLACK,
      secretName,
    })).toThrow(`AlertProvider 'podinfo-slack': 'secretName' ('${secretName}') ${SUBDOMAIN_RULE}`);
  });

  test('the owner falls back to the construct id without metadata.name', () => {
    expect(() => new AlertProvider(newChart(), 'slack', {
      metadata: { namespace: 'test' },
      type: AlertProviderType.SLACK,
      secretName: 'Slack',
    })).toThrow(`AlertProvider 'slack': 'secretName' ('Slack') ${SUBDOMAIN_RULE}`);
  });
});
