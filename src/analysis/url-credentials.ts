import { fail } from '../validation';

// scheme://userinfo@host...: a user name, a password or a token before the host.
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@\s]*)@/i;
// A query parameter, `?name=value` or `&name=value`: the separator, the name and the value.
const QUERY_PARAMETER = /([?&])([^=&#?\s]*)=([^&#]*)/g;
/**
 * Words of a query parameter's name that say it carries a credential, whole words of the name
 * (split at `_`, `-`, `.` and lower-to-upper case): `token`, `private_token` (GitLab), `access-token`,
 * `key`, `api-key`, `apiKey` (Google APIs), `sig` (Azure SAS), `X-Amz-Signature`, `X-Amz-Credential`
 * (S3 presigned URLs), `client_secret`; a name such as `keyword` or `monkey` holds none of them.
 */
const CREDENTIAL_WORDS = new Set([
  'token', 'key', 'secret', 'password', 'passwd', 'pwd', 'sig', 'signature', 'credential', 'auth', 'authorization',
  'apikey', 'accesstoken', 'authtoken', 'jwt', 'bearer',
]);

/** Whether a query parameter's name says it carries a credential (see CREDENTIAL_WORDS). */
function isCredentialName(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // A malformed escape: judge the name as written.
  }
  return decoded.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[_.-]+/)
    .some((word) => CREDENTIAL_WORDS.has(word) || (word.endsWith('s') && CREDENTIAL_WORDS.has(word.slice(0, -1))));
}

function hasCredentialParameter(url: string): boolean {
  return [...url.matchAll(QUERY_PARAMETER)].some((match) => isCredentialName(match[2]));
}

/** The URL as a message may show it: the credentials masked, so that an error never prints them. */
export function maskCredentials(url: string): string {
  return url.replace(USERINFO, '$1***@')
    .replace(QUERY_PARAMETER, (parameter, separator: string, name: string) => (isCredentialName(name) ? `${separator}${name}=***` : parameter));
}

/**
 * Rejects a URL that carries credentials (`https://user:pass@host`, `?token=...`, `&X-Amz-Signature=...`):
 * it would be written in plain text into the manifests (the Canary, the Rollout, a MetricTemplate,
 * Helm values), where anyone who can read them, and Git, sees it. `alternative` names the
 * Secret-based way.
 */
export function checkNoCredentialsInUrl(owner: string, property: string, url: string, alternative: string): string {
  if (USERINFO.test(url) || hasCredentialParameter(url)) {
    fail(owner, `'${property}' ('${maskCredentials(url)}') carries credentials, which would be written in plain text into the manifests: `
      + `give the address without them and ${alternative}`);
  }
  return url;
}
