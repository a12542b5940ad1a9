// Request bodies: JSON or YAML objects, and patch documents. Parse errors name the position.
import { parseBody } from '../api/manifest.js';
import { StatusError } from '../api/status.js';

const supported = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'application/merge-patch+json', 'application/json-patch+json'];

export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function parseRequestBody(text: string, contentType: string): unknown {
  const type = mediaType(contentType);
  if (type === 'application/strategic-merge-patch+json' || type === 'application/apply-patch+yaml') {
    throw new StatusError('UnsupportedMediaType', `${type} is not supported: use application/merge-patch+json or application/json-patch+json`);
  }
  if (!supported.includes(type)) throw new StatusError('UnsupportedMediaType', `unsupported content type "${type}": use one of ${supported.join(', ')}`);
  if (text.trim() === '') return undefined; // handlers that need a body say so
  // Patches and JSON objects go through the same position-reporting parser.
  const asYaml = type.includes('yaml');
  return parseBody(text, asYaml ? 'application/yaml' : 'application/json');
}
