import { App, Chart, Yaml } from 'cdk8s';
import { podinfo } from '../../examples/shared/podinfo';
import { DeliveryEngine, GitOps, IDeliveryEngine, ITrafficRouter, TrafficRouter } from '../../src';
import { fastYamlEnabled, stringifyYaml } from '../../src/synth/yaml-writer';

/** What cdk8s writes for one document. */
function cdk8s(doc: any): string {
  return Yaml.stringify(doc);
}

/** What the writer writes for one document, and whether it needed the yaml package for it. */
function written(doc: any): { text: string; fallback: boolean } {
  const spy = jest.spyOn(Yaml, 'stringify');
  try {
    const text = stringifyYaml([doc]);
    return { text, fallback: spy.mock.calls.length > 0 };
  } finally {
    spy.mockRestore();
  }
}

test('the yaml package cdk8s bundles is the release the writer reproduces', () => {
  // If this fails after a cdk8s upgrade, every document goes to the yaml package (still identical,
  // only slower): check yaml-writer.ts against the new release, then update VERIFIED_YAML_VERSION.
  expect(fastYamlEnabled()).toBe(true);
});

const combos: [string, IDeliveryEngine, ITrafficRouter][] = [
  ['flagger-traefik', DeliveryEngine.flagger(), TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['flagger-istio', DeliveryEngine.flagger(), TrafficRouter.istio({ hosts: ['app.example.com'] })],
  ['argo-traefik', DeliveryEngine.argoRollouts(), TrafficRouter.traefik({ hosts: ['app.example.com'] })],
  ['argo-istio', DeliveryEngine.argoRollouts(), TrafficRouter.istio({ hosts: ['app.example.com'] })],
];

describe.each(combos)('every manifest of %s', (_name, engine, router) => {
  const chart = new Chart(new App({ outdir: '/dev/null' }), 'podinfo', { namespace: 'test' });
  podinfo(chart, engine, router, { gitOps: GitOps.none() });
  const docs: any[] = chart.toJson();

  test('is written as cdk8s writes it', () => {
    for (const doc of docs) {
      const id = `${doc.kind}/${doc.metadata.name}`;
      expect({ id, yaml: written(doc).text }).toEqual({ id, yaml: cdk8s(doc) });
    }
  });

  test('without the yaml package', () => {
    const slow = docs.filter((doc) => written(doc).fallback).map((doc) => `${doc.kind}/${doc.metadata.name}`);
    expect(slow).toEqual([]);
  });
});

const strings = [
  '', ' ', 'a b', 'a: b', 'a:b', 'a:', 'a #b', 'a#b', '#a', '-', '- a', '-a', '?', '? a', '?a', ':a',
  'yes', 'No', 'ON', 'off', 'y', 'n', 'Y', 'true', 'False', 'null', 'Null', '~',
  '10', '010', '0x1F', '0b101', '1_000', '1.5', '.5', '1e3', '.inf', '-.Inf', '.NaN', '190:20:30', '1:2',
  '2001-12-14', '2001-12-14t21:59:43.10-05:00', '<<', '=', 'a\tb', '\ta', 'a\t',
  "it's", 'say "hi"', 'both \' and "', 'back\\slash', 'ünïcödé', '€', '\u00a0', '\u2028a', 'a\u2028',
  '@a', '`a', '%a', '---', '...', 'a---', '--- a', '*a', '&a', '!a', '|a', '>a', "'a", '"a',
  '[a', ']a', '{a', '}a', ',a', 'a,b', 'a[b]', 'a{b}', 'http://canary-prometheus.test:9090',
  'len(result) > 0 && result[0] >= 0.99', "curl -sd 'test' http://podinfo-canary.test/token | grep token",
  '100m', '128Mi', '6.7.0', 'v1', '0', '-1', '+1', '0o17',
  'a\nb', 'a\nb\n', '\na', 'a\n\n', ' a\nb', 'a\n ', 'a\u0007', 'a\u0085', 'x'.repeat(1030), 'x'.repeat(1022),
  'a\n\n\nb\n', '  indented\nnext\n', '\n\nlead\n', 'tail  ', 'a\nb  ', 'a\n  b\n\n  c\n', 'key: value\n- item\n# comment\n',
  '---\nx\n', 'a\n---\n', 'a\t\nb\n', '\ta\n\tb\n', 'say "hi"\nbye\n', 'a\r\nb', '\n', '\n\n', ' \n',
];

test.each(strings.map((s) => [JSON.stringify(s), s]))('the string %s, as a value, a key and in lists', (_label, s) => {
  for (const doc of [{ k: s }, { [s]: 'v' }, { l: [s, { [s]: [s] }] }, { [s]: { [s]: s } }]) {
    expect(written(doc).text).toEqual(cdk8s(doc));
  }
});

test('multi-line values are literal blocks, as yaml writes them', () => {
  const doc = {
    data: {
      'prometheus.yml': 'global:\n  scrape_interval: 5s\n',
      'script': '#!/bin/sh\necho hi',
      'list': ['a\nb\n', { c: ' d\ne\n' }],
    },
  };
  expect(written(doc)).toEqual({ text: cdk8s(doc), fallback: false });
});

test('collections, numbers and booleans', () => {
  const doc = {
    m: {},
    n: [],
    o: [['a', 'b'], []],
    p: [{}, { a: 1 }],
    q: [[[]]],
    r: { s: { t: [{ u: [{}] }] } },
    ints: [0, 1, -1, 65535, 2 ** 53 - 1, -(2 ** 53 - 1)],
    bools: [true, false],
    nested: [[1, [2, { a: [3] }]]],
  };
  expect(written(doc)).toEqual({ text: cdk8s(doc), fallback: false });
});

test.each([
  ['a float', { n: 1.5 }],
  ['negative zero', { n: -0 }],
  ['an unsafe integer', { n: 2 ** 53 }],
  ['NaN', { n: NaN }],
  ['Infinity', { n: -Infinity }],
  ['null', { a: null }],
  ['null in a list', { a: [null] }],
  ['undefined', { a: undefined }],
  ['undefined in a list', { a: [undefined] }],
  ['a hole in a list', { a: [, 1] }],
  ['a Date', { a: new Date(0) }],
  ['a class instance', { a: new (class Thing { public x = 1; })() }],
  ['a bigint', { a: BigInt(1) }],
  ['an object referenced twice (an alias)', (() => { const shared = { x: 1 }; return { a: shared, b: shared }; })()],
  ['a list referenced twice', (() => { const shared = ['x']; return { a: shared, b: [shared] }; })()],
  ['a multi-line key', { 'x\ny': 1 }],
  ['a multi-line value kept with all its final newlines', { a: 'x\ny\n\n' }],
  ['a multi-line value whose last line is blank', { a: 'x\n  ' }],
  ['a key over 1024 characters', { ['k'.repeat(1025)]: 1 }],
  ['an object with toJSON()', { a: { toJSON: () => 'x' } }],
])('%s goes to the yaml package, with the same result', (_label, doc: any) => {
  expect(written(doc)).toEqual({ text: cdk8s(doc), fallback: true });
});

test('several documents, and undefined ones, are joined as cdk8s joins them', () => {
  const docs = [{ a: 1 }, undefined, { b: 'x\ny' }, {}];
  expect(stringifyYaml(docs)).toEqual(Yaml.stringify(...docs));
});
