import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  CanaryService, CanaryServiceProps, CanaryWebhook, DeliveryEngine, DeliveryStrategy, GitOps, IDeliveryEngine, TrafficRouter, WebhookType,
} from '../../src';

const traefik = () => TrafficRouter.traefik({ hosts: ['app.example.com'] });
const istio = () => TrafficRouter.istio({ hosts: ['app.example.com'] });

function props(engine: IDeliveryEngine, overrides: Partial<CanaryServiceProps> = {}, webhooks: CanaryWebhook[] = []): CanaryServiceProps {
  return {
    image: 'ghcr.io/stefanprodan/podinfo:6.7.0',
    containerPort: 9898,
    engine,
    router: traefik(),
    gitOps: GitOps.none(),
    analysis: { webhooks: [...webhooks, CanaryWebhook.loadTest()] },
    ...overrides,
  };
}

/** The messages `app.synth()` reports, without the header line. */
function errorsOf(app: App): string[] {
  try {
    app.synth();
  } catch (error) {
    return (error as Error).message.split('\n').slice(1).map((line) => line.trim());
  }
  return [];
}

function oneService(engine: IDeliveryEngine, overrides: Partial<CanaryServiceProps> = {}, webhooks: CanaryWebhook[] = []): string[] {
  const app = new App({ outdir: '/tmp/references-test' });
  new CanaryService(new Chart(app, 'test', { namespace: 'test' }), 'podinfo', props(engine, overrides, webhooks));
  return errorsOf(app);
}

const acceptance = (url: string) => CanaryWebhook.acceptanceTest({ command: `curl -sd 'test' ${url}/token | grep token` });

describe('calls resolve for the engine and strategy in use', () => {
  test('Argo Rollouts blue/green has no canary Service: the message names the Services there are, and the one to call', () => {
    expect(oneService(DeliveryEngine.argoRollouts(), { strategy: DeliveryStrategy.blueGreen() }, [acceptance('http://podinfo-canary.test')])).toEqual([
      "[test/podinfo] CanaryService 'podinfo': 'analysis.webhooks[0]' (acceptance test 'acceptance-test') calls 'podinfo-canary.test', "
      + "a Service that does not exist with Argo Rollouts blue/green: its Services are 'podinfo' (active Service: the stable version), "
      + "'podinfo-preview' (preview Service: the new version). With Argo Rollouts blue/green the new version is reached at 'podinfo-preview.test' (the preview Service).",
    ]);
  });

  test.each([
    ['Flagger canary', DeliveryEngine.flagger(), undefined, 'http://podinfo-canary.test'],
    ['Flagger, fully qualified', DeliveryEngine.flagger(), undefined, 'http://podinfo-canary.test.svc.cluster.local:80'],
    ['Flagger, short name', DeliveryEngine.flagger(), undefined, 'http://podinfo-canary'],
    ['Argo Rollouts canary', DeliveryEngine.argoRollouts(), undefined, 'http://podinfo-canary.test'],
    ['Argo Rollouts blue/green', DeliveryEngine.argoRollouts(), DeliveryStrategy.blueGreen(), 'http://podinfo-preview.test'],
  ])('%s: the new version\'s Service is accepted', (_name, engine, strategy, url) => {
    expect(oneService(engine, { strategy }, [acceptance(url)])).toEqual([]);
  });

  test('an acceptance test of the stable version is caught: it would never see the new pods', () => {
    expect(oneService(DeliveryEngine.flagger(), {}, [acceptance('http://podinfo-primary.test')])).toEqual([
      "[test/podinfo] CanaryService 'podinfo': 'analysis.webhooks[0]' (acceptance test 'acceptance-test') calls 'podinfo-primary.test', the primary Service, "
      + 'which reaches the stable version while the release is analysed: a test of the new pods never sees them. '
      + "With Flagger canary the new version is reached at 'podinfo-canary.test' (the canary Service, which Flagger creates).",
    ]);
  });

  test('the index the user wrote is the one in the message, and the fully qualified form is kept', () => {
    const errors = oneService(DeliveryEngine.argoRollouts(), { strategy: DeliveryStrategy.blueGreen() }, [
      CanaryWebhook.loadTest({ name: 'warm-up', requestsPerSecond: 1 }),
      acceptance('http://podinfo-stable.test.svc.cluster.local'),
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("'analysis.webhooks[1]' (acceptance test 'acceptance-test') calls 'podinfo-stable.test.svc.cluster.local', a Service that does not exist");
    expect(errors[0]).toContain("the new version is reached at 'podinfo-preview.test.svc.cluster.local'");
  });

  test('a webhook that calls another service of the app by a name that service does not have', () => {
    const app = new App({ outdir: '/tmp/references-test' });
    new CanaryService(new Chart(app, 'cart', { namespace: 'shop' }), 'cart', props(DeliveryEngine.argoRollouts(), { strategy: DeliveryStrategy.blueGreen() }));
    new CanaryService(new Chart(app, 'test', { namespace: 'test' }), 'podinfo', props(DeliveryEngine.flagger(), {}, [
      CanaryWebhook.http({ name: 'cart-ready', type: WebhookType.PRE_ROLLOUT, url: 'http://cart-canary.shop/healthz' }),
    ]));
    expect(errorsOf(app)).toEqual([
      "[test/podinfo] CanaryService 'podinfo': 'analysis.webhooks[0]' (webhook 'cart-ready') calls 'cart-canary.shop', a Service that does not exist "
      + "with Argo Rollouts blue/green (CanaryService 'cart'): its Services are 'cart' (active Service: the stable version), 'cart-preview' (preview Service: the new version). Call one of those.",
    ]);
  });

  test.each([
    ['a host outside the cluster', 'https://api.example.com'],
    ['the loadtester', 'http://flagger-loadtester.test/healthz'],
    ['a namespace the app does not know', 'http://podinfo-canary.elsewhere'],
  ])('%s is not judged', (_name, url) => {
    expect(oneService(DeliveryEngine.flagger(), {}, [CanaryWebhook.http({ name: 'hook', type: WebhookType.PRE_ROLLOUT, url })])).toEqual([]);
  });
});

describe('a Service of the namespace that nothing declares or creates', () => {
  const THERE = "(the Services there: 'canary-prometheus', 'flagger-loadtester', 'podinfo', 'podinfo-canary', 'podinfo-primary')";
  test.each([
    ['a misspelled canary Service', 'http://podinfo-canry.test', 'podinfo-canry.test', 'podinfo-canry'],
    ['a Service the app does not declare', 'http://backend.test', 'backend.test', 'backend'],
  ])('%s fails, naming the Services that exist and the escape', (_name, url, host, name) => {
    expect(oneService(DeliveryEngine.flagger(), {}, [acceptance(url)])).toEqual([
      `[test/podinfo] CanaryService 'podinfo': 'analysis.webhooks[0]' (acceptance test 'acceptance-test') calls '${host}', but no Service '${name}' is declared in the app `
      + `or created by a controller in namespace 'test' ${THERE}: correct the name, or list '${name}' in 'analysis.externalServices' if it is managed outside the app`,
    ]);
  });

  test('a Service managed outside the app, listed in analysis.externalServices, is accepted', () => {
    expect(oneService(DeliveryEngine.flagger(), {
      analysis: { externalServices: ['postgres'], webhooks: [CanaryWebhook.http({ name: 'hook', type: WebhookType.PRE_ROLLOUT, url: 'http://postgres.test:5432' }), CanaryWebhook.loadTest()] },
    })).toEqual([]);
  });

  test('a scheme-less host of curl (which defaults to http://) is read as the URL is: a test of the primary is caught', () => {
    expect(oneService(DeliveryEngine.flagger(), {}, [CanaryWebhook.acceptanceTest({ command: 'curl -sf podinfo-primary.test/readyz' })])).toEqual([
      "[test/podinfo] CanaryService 'podinfo': 'analysis.webhooks[0]' (acceptance test 'acceptance-test') calls 'podinfo-primary.test', the primary Service, "
      + 'which reaches the stable version while the release is analysed: a test of the new pods never sees them. '
      + "With Flagger canary the new version is reached at 'podinfo-canary.test' (the canary Service, which Flagger creates).",
    ]);
    expect(oneService(DeliveryEngine.flagger(), {}, [CanaryWebhook.acceptanceTest({ command: 'curl -sf podinfo-canary.test/readyz' })])).toEqual([]);
  });
});

describe('names the controllers own are reserved', () => {
  test('a Service of another chart of the same namespace named like Flagger\'s primary Service', () => {
    const app = new App({ outdir: '/tmp/references-test' });
    const other = new Chart(app, 'other', { namespace: 'test' });
    new kplus.Service(other, 'legacy', { metadata: { name: 'podinfo-primary' }, ports: [{ port: 80 }] });
    new CanaryService(new Chart(app, 'test', { namespace: 'test' }), 'podinfo', props(DeliveryEngine.flagger()));
    expect(errorsOf(app)).toEqual([
      "[test/podinfo] CanaryService 'podinfo': the primary Service Flagger creates, Service 'test/podinfo-primary', is also the Service 'podinfo-primary' "
      + "declared at 'other/legacy/Resource': the controller would take it over, or the two would replace each other. Names derived from 'podinfo' "
      + "('podinfo', 'podinfo-primary', 'podinfo-canary', 'podinfo-stable', 'podinfo-preview', 'podinfo-safety-net') are the controller's: give one of them another name",
    ]);
  });

  test('two services whose Flagger Services collide: both names are in the message', () => {
    const app = new App({ outdir: '/tmp/references-test' });
    const chart = new Chart(app, 'test', { namespace: 'test' });
    new CanaryService(chart, 'podinfo', props(DeliveryEngine.flagger()));
    new CanaryService(chart, 'podinfo-canary', props(DeliveryEngine.flagger(), { router: TrafficRouter.traefik({ hosts: ['canary.example.com'] }) }));
    expect(errorsOf(app)).toEqual([
      "[test/podinfo-canary] CanaryService 'podinfo-canary': the apex Service (selects the primary) Flagger creates, Service 'test/podinfo-canary', "
      + "is also the canary Service Flagger creates for CanaryService 'podinfo': the controller would take it over, or the two would replace each other. "
      + "Names derived from 'podinfo-canary' ('podinfo-canary', 'podinfo-canary-primary', 'podinfo-canary-canary', 'podinfo-canary-stable', "
      + "'podinfo-canary-preview', 'podinfo-canary-safety-net') are the controller's: give one of them another name",
    ]);
  });

  test('a Deployment of the team\'s own named like Flagger\'s primary', () => {
    const app = new App({ outdir: '/tmp/references-test' });
    const chart = new Chart(app, 'test', { namespace: 'test' });
    new kplus.Deployment(chart, 'own', {
      metadata: { name: 'podinfo-primary' },
      containers: [{ image: 'ghcr.io/acme/other:1.0.0', securityContext: { user: 1000 } }],
    });
    new CanaryService(chart, 'podinfo', props(DeliveryEngine.flagger()));
    expect(errorsOf(app)).toEqual([
      "[test/podinfo] CanaryService 'podinfo': the primary Deployment Flagger creates, Deployment 'test/podinfo-primary', is also the Deployment 'podinfo-primary' "
      + "declared at 'test/own/Resource': the controller would take it over, or the two would replace each other. Names derived from 'podinfo' "
      + "('podinfo', 'podinfo-primary', 'podinfo-canary', 'podinfo-stable', 'podinfo-preview', 'podinfo-safety-net') are the controller's: give one of them another name",
    ]);
  });

  test.each([
    ['Flagger: the apex Service', DeliveryEngine.flagger(), istio(), 'podinfo'],
    ['Flagger: the primary Service', DeliveryEngine.flagger(), traefik(), 'podinfo-primary'],
    ['Argo Rollouts: the canary Service in the manifests', DeliveryEngine.argoRollouts(), traefik(), 'podinfo-canary'],
  ])('safetyNet.liveService cannot be a name the service takes (%s)', (_name, engine, router, liveService) => {
    expect(oneService(engine, { router, safetyNet: { liveService } })).toEqual([
      `[test/podinfo] CanaryService 'podinfo': 'safetyNet.liveService' ('${liveService}') must not be one of the names this service's controller and routing take `
      + "('podinfo', 'podinfo-primary', 'podinfo-canary', 'podinfo-stable', 'podinfo-preview', 'podinfo-safety-net'): the live Service would not stay untouched "
      + '(Flagger takes a Service of such a name over and rewrites its selector; Argo Rollouts rewrites the ones its Rollout names); give the name of the Service that serves the hosts today',
    ]);
  });

  test('safetyNet.liveService cannot be a Service of another service of the app either', () => {
    const app = new App({ outdir: '/tmp/references-test' });
    const chart = new Chart(app, 'test', { namespace: 'test' });
    new CanaryService(chart, 'cart', props(DeliveryEngine.flagger(), { router: TrafficRouter.traefik({ hosts: ['cart.example.com'] }) }));
    new CanaryService(chart, 'podinfo', props(DeliveryEngine.flagger(), { safetyNet: { liveService: 'cart-primary' } }));
    expect(errorsOf(app)).toEqual([
      "[test/podinfo] CanaryService 'podinfo': 'safetyNet.liveService' ('cart-primary') is the primary Service Flagger creates for CanaryService 'cart': "
      + 'the live Service would not stay untouched (the controller takes a Service of that name over and rewrites its selector); give the name of the Service that serves the hosts today, '
      + "which must not be one of 'podinfo', 'podinfo-primary', 'podinfo-canary', 'podinfo-stable', 'podinfo-preview', 'podinfo-safety-net'",
    ]);
  });

  test('every mistake at once: a reserved live Service and a test of a Service that does not exist', () => {
    const errors = oneService(DeliveryEngine.argoRollouts(), { strategy: DeliveryStrategy.blueGreen(), safetyNet: { liveService: 'podinfo' } },
      [acceptance('http://podinfo-canary.test')]);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("'safetyNet.liveService' ('podinfo') must not be one of the names this service's controller and routing take");
    expect(errors[1]).toContain("calls 'podinfo-canary.test', a Service that does not exist with Argo Rollouts blue/green");
  });
});
