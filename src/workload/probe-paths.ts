import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import type { ITrafficRouter } from '../routers/router';

/** Probe paths already known while a CanaryService declares itself (`withKnownProbePaths`). */
const known = new WeakMap<kplus.Deployment, { readonly port: number; readonly paths: { [probe: string]: string } }>();

/**
 * The paths the kubelet's HTTP probes request from the first container on `port` (by number or by
 * the port's name), by probe (`readiness`, `liveness`, `startup`): requests no user sent, which an
 * application that instruments every route counts with the users' ones.
 */
export function httpProbePaths(deployment: kplus.Deployment, port: number): { [probe: string]: string } {
  const memo = known.get(deployment);
  if (memo !== undefined && memo.port === port) return { ...memo.paths };
  // Rendering the Deployment is the one way to see its probes as the kubelet will (JSON patches included).
  const container = ApiObject.of(deployment).toJson().spec?.template?.spec?.containers?.[0] ?? {};
  const portNames = new Set((container.ports ?? []).filter((p: any) => p.containerPort === port && p.name).map((p: any) => p.name));
  const paths: { [probe: string]: string } = {};
  for (const probe of ['readiness', 'liveness', 'startup']) {
    const httpGet = container[`${probe}Probe`]?.httpGet;
    if (httpGet === undefined) continue;
    const target = httpGet.port ?? port;
    if (target !== port && !portNames.has(target)) continue;
    paths[probe] = String(httpGet.path ?? '/').split('?')[0] || '/';
  }
  return paths;
}

/**
 * The probe paths for the routing context of `router`: `httpProbePaths()`, or undefined for a
 * router of this library that never reads them (`_readsProbePaths` false), which spares a render
 * of the Deployment per service.
 */
export function routerProbePaths(router: ITrafficRouter, deployment: kplus.Deployment, port: number): { [probe: string]: string } | undefined {
  return (router as { _readsProbePaths?: boolean })._readsProbePaths === false ? undefined : httpProbePaths(deployment, port);
}

/**
 * Runs `declare` with `httpProbePaths(deployment, port)` answered by `paths`, computed just before:
 * a CanaryService and its engine both need them, and each computation renders the Deployment.
 * Only for code that changes none of the Deployment's containers.
 */
export function withKnownProbePaths<T>(
  deployment: kplus.Deployment, port: number, paths: { [probe: string]: string } | undefined, declare: () => T,
): T {
  if (paths === undefined) return declare();
  known.set(deployment, { port, paths: { ...paths } });
  try {
    return declare();
  } finally {
    known.delete(deployment);
  }
}
