import { CanaryMetric } from './metric';
import { MetricProviderType } from './metric-providers';
import { checkGraphiteTarget, checkNrql } from './provider-queries';
import { checkNoCredentialsInUrl, maskCredentials } from './url-credentials';
import { checkDnsSubdomain, fail } from '../validation';

const URL = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const CLOUDWATCH_ID = /^[a-z][a-zA-Z0-9_]*$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/**
 * The fields each backend needs, present and well-formed: credentials (a Secret name), the query
 * in the backend's form where its shape can be checked, and addresses.
 */
export function checkExternalSource(owner: string, property: string, metric: CanaryMetric): void {
  const source = metric.source!;
  if (source.address !== undefined) {
    checkNoCredentialsInUrl(owner, `${property}.address`, source.address, `name a Secret with them in '${property}.secretName'`);
  }
  const requireSecret = (keys: string) => {
    if (!source.secretName) fail(owner, `'${property}.secretName' is required: the ${source.type} credentials (${keys}) come from a Secret`);
    checkDnsSubdomain(owner, `${property}.secretName`, source.secretName);
  };
  const requireQuery = () => {
    if (!metric.query || !metric.query.trim()) fail(owner, `'${property}.query' must not be empty`);
  };
  switch (source.type) {
    case MetricProviderType.DATADOG:
      requireSecret('API and application keys');
      requireQuery();
      // A Datadog metric query: <aggregator>:<metric>{<scope>} with optional functions.
      if (!/^[a-z_]+:[\w.]+\{[^}]*\}/.test(metric.query!.replace(/^[a-z_]+\(/, ''))) {
        fail(owner, `'${property}.query' ('${metric.query}') is not a Datadog metric query: expected '<aggregator>:<metric>{<scope>}', e.g. 'sum:trace.http.request.errors{service:podinfo}.as_count()'`);
      }
      if (source.address !== undefined && !URL.test(source.address)) fail(owner, `'${property}.address' ('${maskCredentials(source.address)}') must be an http:// or https:// URL`);
      return;
    case MetricProviderType.NEW_RELIC:
      requireSecret('account id and key');
      requireQuery();
      checkNrql(owner, `${property}.query`, metric.query!);
      return;
    case MetricProviderType.GRAPHITE:
      requireQuery();
      checkGraphiteTarget(owner, `${property}.query`, metric.query!);
      if (!source.address || !URL.test(source.address)) fail(owner, `'${property}.address' ('${source.address ?? ''}') must be the http:// or https:// URL of the Graphite API`);
      if (source.secretName !== undefined) checkDnsSubdomain(owner, `${property}.secretName`, source.secretName);
      return;
    case MetricProviderType.CLOUDWATCH: {
      if (!source.region || !AWS_REGION.test(source.region)) fail(owner, `'${property}.region' ('${source.region ?? ''}') must be an AWS region, e.g. 'eu-west-1'`);
      const queries = source.cloudWatchQueries ?? [];
      if (queries.length === 0) fail(owner, `'${property}.metricDataQueries' must hold at least one query`);
      const ids = new Set<string>();
      queries.forEach((query, i) => {
        const at = `${property}.metricDataQueries[${i}]`;
        if (!CLOUDWATCH_ID.test(query.id)) fail(owner, `'${at}.id' ('${query.id}') must start with a lower-case letter, then letters, digits and '_'`);
        if (ids.has(query.id)) fail(owner, `'${property}.metricDataQueries' has two queries with the id '${query.id}'`);
        ids.add(query.id);
        if ((query.expression === undefined) === (query.metricStat === undefined)) fail(owner, `'${at}' needs either 'expression' or 'metricStat', exactly one`);
        if (query.metricStat && query.metricStat.period.toSeconds() % 60 !== 0) {
          fail(owner, `'${at}.metricStat.period' (${query.metricStat.period.toHumanString()}) must be a multiple of 60 seconds`);
        }
      });
      const returning = queries.filter((q, i) => q.returnData ?? i === queries.length - 1);
      if (returning.length !== 1) fail(owner, `'${property}.metricDataQueries' must return data from exactly one query (the check's value); ${returning.length} do`);
      return;
    }
    default:
      fail(owner, `'${property}' has an unknown metrics backend '${source.type}'`);
  }
}
