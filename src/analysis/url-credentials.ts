import { fail } from '../validation';

// scheme://userinfo@host...: a user name, a password or a token before the host.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/i;
// Query parameters that carry a credential by their name.
const SECRET_QUERY = /[?&](password|passwd|token|access_token|api_key|apikey|secret|auth)=/i;

/** The URL as a message may show it: the credentials masked, so that an error never prints them. */
export function maskCredentials(url: string): string {
  return url.replace(USERINFO, '$1***@').replace(/([?&](?:password|passwd|token|access_token|api_key|apikey|secret|auth)=)[^&#]*/gi, '$1***');
}

/**
 * Rejects a URL that carries credentials (`https://user:pass@host`, `?token=...`): it would be
 * written in plain text into the manifests (the Canary, the Rollout, a MetricTemplate, Helm values),
 * where anyone who can read them, and Git, sees it. `alternative` names the Secret-based way.
 */
export function checkNoCredentialsInUrl(owner: string, property: string, url: string, alternative: string): string {
  if (USERINFO.test(url) || SECRET_QUERY.test(url)) {
    fail(owner, `'${property}' ('${maskCredentials(url)}') carries credentials, which would be written in plain text into the manifests: `
      + `give the address without them and ${alternative}`);
  }
  return url;
}
