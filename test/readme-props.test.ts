import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { DeliveryEngine, TrafficRouter } from '../src';

/*
 * The README's `CanaryService` props table and "What is synthesized" against the API: every
 * property of CanaryServiceProps (its own and those of the interfaces it extends, read from the
 * TypeScript source) has a row, no row names a property that does not exist, and every router and
 * engine factory has its place.
 */

const ROOT = path.resolve(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf-8');

interface InterfaceInfo {
  readonly properties: string[];
  readonly extends: string[];
}

/** Every exported interface of src/, by name: its own properties and what it extends. */
function interfacesOfSource(): Map<string, InterfaceInfo> {
  const found = new Map<string, InterfaceInfo>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'imports') walk(full);
        continue;
      }
      if (!entry.name.endsWith('.ts')) continue;
      const source = ts.createSourceFile(full, fs.readFileSync(full, 'utf-8'), ts.ScriptTarget.ES2022, true);
      for (const statement of source.statements) {
        // Exported interfaces only: jsii gives each a unique name; internal ones may repeat.
        if (!ts.isInterfaceDeclaration(statement) || !statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
        const properties = statement.members.filter(ts.isPropertySignature).map((member) => member.name.getText(source));
        const bases = (statement.heritageClauses ?? []).flatMap((clause) => clause.types.map((type) => type.expression.getText(source)));
        if (found.has(statement.name.text)) throw new Error(`two interfaces named ${statement.name.text}: this test cannot tell them apart`);
        found.set(statement.name.text, { properties, extends: bases });
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return found;
}

function propertiesOf(name: string, interfaces: Map<string, InterfaceInfo>): string[] {
  const info = interfaces.get(name);
  if (!info) throw new Error(`interface ${name} is not in src/`);
  return [...info.properties, ...info.extends.flatMap((base) => propertiesOf(base, interfaces))];
}

/** The rows of the first Markdown table after `heading`: cells, without the header and separator. */
function tableAfter(heading: string): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) throw new Error(`the README has no heading '${heading}'`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first; i < lines.length && lines[i].startsWith('|'); i++) {
    rows.push(lines[i].split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim()));
  }
  return rows.slice(2);
}

const propsTable = tableAfter('### `CanaryService` props');
/** The names in backticks in the first column of the props table (`env`, `envFrom`, `args` share a row). */
const documented = propsTable.flatMap((row) => [...row[0].matchAll(/`([A-Za-z]+)`/g)].map((m) => m[1]));

const staticFactories = (cls: object) => Object.getOwnPropertyNames(cls).filter((name) => typeof (cls as any)[name] === 'function' && !['length', 'name', 'prototype'].includes(name));

test('every property of CanaryServiceProps has a row in the README\'s props table', () => {
  const properties = propertiesOf('CanaryServiceProps', interfacesOfSource());
  // The props the issue names, so that the test cannot pass on an empty reading of the source.
  expect(properties).toEqual(expect.arrayContaining(['engine', 'router', 'gitOps', 'strategy', 'safetyNet', 'protocol', 'image', 'disruptionBudget', 'serviceAccount']));
  expect(properties.filter((property) => !documented.includes(property))).toEqual([]);
});

test('every name in the props table is a property of CanaryServiceProps, once', () => {
  const properties = propertiesOf('CanaryServiceProps', interfacesOfSource());
  expect(documented.filter((name) => !properties.includes(name))).toEqual([]);
  expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
});

test('the router row names every TrafficRouter factory, and the engine row every DeliveryEngine factory', () => {
  const cell = (prop: string) => propsTable.find((row) => row[0] === `\`${prop}\``)![2];
  const routers = staticFactories(TrafficRouter);
  expect(routers).toEqual(expect.arrayContaining(['traefik', 'istio', 'gatewayApi', 'replicaRatio']));
  expect(routers.filter((factory) => !cell('router').includes(`TrafficRouter.${factory}(`))).toEqual([]);
  const engines = staticFactories(DeliveryEngine);
  expect(engines.filter((factory) => !cell('engine').includes(`DeliveryEngine.${factory}(`))).toEqual([]);
});

test('"What is synthesized" has a row per router and a column per engine', () => {
  /** How the README names each router factory. */
  const ROUTER_NAMES: { [factory: string]: string } = {
    traefik: 'Traefik', istio: 'Istio', gatewayApi: 'Gateway API', replicaRatio: 'Replica ratio (no router)',
  };
  const ENGINE_NAMES: { [factory: string]: string } = { flagger: 'Flagger', argoRollouts: 'Argo Rollouts' };
  const lines = README.split('\n');
  const start = lines.indexOf('## What is synthesized');
  const header = lines.findIndex((line, i) => i > start && line.startsWith('| router |'));
  expect(header).toBeGreaterThan(start);
  expect(lines[header].split('|').slice(2, -1).map((c) => c.trim())).toEqual(staticFactories(DeliveryEngine).map((f) => ENGINE_NAMES[f] ?? `a name for ${f}`));
  const rows: string[] = [];
  for (let i = header + 2; lines[i]?.startsWith('|'); i++) rows.push(lines[i].split('|')[1].trim().replace(/\*\*/g, ''));
  expect(rows).toEqual(staticFactories(TrafficRouter).map((f) => ROUTER_NAMES[f] ?? `a name for ${f}`));
});
