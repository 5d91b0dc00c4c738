import { ownLoadTester } from '../../src/cli/release/loadtester';

/** A Canary whose gate webhooks call these URLs. */
const canary = (...urls: string[]) => ({
  metadata: { name: 'cart' },
  spec: { analysis: { webhooks: urls.map((url, i) => ({ name: `gate-${i}`, type: 'confirm-promotion', url })) } },
});

describe('the loadtester a Canary\'s gates call: the namespace\'s, or its app\'s (SharedAddons appName)', () => {
  test('the default loadtester, and the one of an app named with SharedAddons', () => {
    expect(ownLoadTester(canary('http://flagger-loadtester.team/gate/check'), 'team', 'cluster.local'))
      .toEqual({ service: 'flagger-loadtester', namespace: 'team', port: 80 });
    expect(ownLoadTester(canary('http://flagger-loadtester-shop.team/gate/check', 'http://flagger-loadtester-shop.team.svc/rollback/check'), 'team', 'cluster.local'))
      .toEqual({ service: 'flagger-loadtester-shop', namespace: 'team', port: 80 });
    // No gate webhook: the namespace's (status still asks nothing of it).
    expect(ownLoadTester(canary(), 'team', 'cluster.local')).toEqual({ service: 'flagger-loadtester', namespace: 'team', port: 80 });
  });

  test('gates on two loadtesters are refused: a gate opened on one is never checked by the other', () => {
    expect(() => ownLoadTester(canary('http://flagger-loadtester-shop.team/gate/check', 'http://flagger-loadtester-search.team/gate/check'), 'team', 'cluster.local'))
      .toThrow('the gate webhooks of the Canary team/cart call two loadtesters (flagger-loadtester-shop and flagger-loadtester-search): '
        + 'a gate opened on one is never checked by the other. Give every gate webhook of the Canary one loadtester in the declaration');
  });

  test.each([
    ['http://flagger-loadtesterx.team/gate/check', 'a Service other than flagger-loadtester or flagger-loadtester-<appName> (flagger-loadtesterx)'],
    ['http://flagger-loadtester-.team/gate/check', 'a Service other than flagger-loadtester or flagger-loadtester-<appName> (flagger-loadtester-)'],
    ['http://flagger-loadtester-shop.other/gate/check', "the loadtester of namespace 'other', not 'team'"],
  ])('%s is refused', (url, why) => {
    expect(() => ownLoadTester(canary(url), 'team', 'cluster.local')).toThrow(`the webhook 'gate-0' of the Canary team/cart calls ${url}, ${why}. `);
  });
});
