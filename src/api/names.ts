// Name formats (DNS-1123 subdomain/label, DNS-1035 label, IANA service names, config keys)
// with Kubernetes' explanations, and which format each kind's metadata.name must follow.

import type { KindName } from './schemas.js';

const labelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dns1035Re = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const configKeyRe = /^[-._a-zA-Z0-9]+$/;

/** Why `s` is not a DNS-1123 subdomain (max 253), or undefined. */
export function dns1123SubdomainProblem(s: string): string | undefined {
  if (s.length > 253) return 'must be no more than 253 characters';
  if (!subdomainRe.test(s)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')";
  }
  return undefined;
}

/** Why `s` is not a DNS-1123 label (max 63), or undefined. */
export function dns1123LabelProblem(s: string): string | undefined {
  if (s.length > 63) return 'must be no more than 63 characters';
  if (!labelRe.test(s)) {
    return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc')";
  }
  return undefined;
}

/** Why `s` is not a DNS-1035 label (Service names: must start with a letter), or undefined. */
export function dns1035LabelProblem(s: string): string | undefined {
  if (s.length > 63) return 'must be no more than 63 characters';
  if (!dns1035Re.test(s)) {
    return "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name', or 'abc-123')";
  }
  return undefined;
}

/** Why `s` is not an IANA service name (named container ports), or undefined. */
export function portNameProblem(s: string): string | undefined {
  if (s.length > 15) return 'must be no more than 15 characters';
  if (!/^[-a-z0-9]+$/.test(s)) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
  if (s.startsWith('-') || s.endsWith('-')) return 'must not begin or end with a hyphen';
  if (s.includes('--')) return 'must not contain consecutive hyphens';
  if (!/[a-z]/.test(s)) return 'must contain at least one letter (a-z)';
  return undefined;
}

/** Why `s` is not a valid ConfigMap/Secret key, or undefined. */
export function configKeyProblem(s: string): string | undefined {
  if (s.length > 253) return 'must be no more than 253 characters';
  if (!configKeyRe.test(s)) return "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";
  if (s === '.' || s === '..') return `must not be '${s}'`;
  return undefined;
}

const nameFormat: Record<KindName, (s: string) => string | undefined> = {
  Namespace: dns1123LabelProblem,
  Service: dns1035LabelProblem,
  Node: dns1123SubdomainProblem,
  Pod: dns1123SubdomainProblem,
  Endpoints: dns1123SubdomainProblem,
  ConfigMap: dns1123SubdomainProblem,
  Secret: dns1123SubdomainProblem,
  Event: dns1123SubdomainProblem,
  ServiceAccount: dns1123SubdomainProblem,
  Deployment: dns1123SubdomainProblem,
  ReplicaSet: dns1123SubdomainProblem,
  DaemonSet: dns1123SubdomainProblem,
};

/** Why `name` cannot name an object of this kind, or undefined. */
export function nameProblem(kind: KindName, name: string): string | undefined {
  if (name === '') return 'name must not be empty';
  return nameFormat[kind](name);
}

/** Why a generateName prefix is unusable: it is checked as the name it would produce. */
export function generateNameProblem(kind: KindName, prefix: string): string | undefined {
  // A trailing '-' is the usual form (`web-`); the random suffix makes it valid.
  return nameFormat[kind](prefix.endsWith('-') ? `${prefix}a` : prefix);
}
