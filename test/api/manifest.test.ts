import { describe, expect, it } from 'vitest';
import { ManifestError, lineColumn, parseBody, parseManifests } from '../../src/api/manifest.js';
import { StatusError } from '../../src/api/status.js';

function error(fn: () => unknown): ManifestError {
  try {
    fn();
  } catch (e) {
    return e as ManifestError;
  }
  throw new Error('expected an error');
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe('parseManifests', () => {
  it('reads several YAML documents, skipping empty ones and comments', () => {
    const text = `# header\n---\n${cm('a')}---\n---\n# only a comment\n---\n${cm('b')}...\n`;
    expect(parseManifests(text, 'x.yaml').map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('reads JSON', () => {
    const objs = parseManifests('{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"web"}}', 'ns.json');
    expect(objs).toEqual([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'web' } }]);
  });

  it('flattens kind: List and *List', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n'
      + '---\napiVersion: v1\nkind: ConfigMapList\nmetadata: {resourceVersion: "1"}\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n';
    expect(parseManifests(text, 'l.yaml').map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('reads YAML as Kubernetes does (1.1: octal modes, quoted strings stay strings)', () => {
    const [o] = parseManifests('apiVersion: v1\nkind: X\nmetadata: {name: a}\nmode: 0644\nv: "0644"\nport: 8080\n', 'm.yaml');
    expect(o).toMatchObject({ mode: 420, v: '0644', port: 8080 });
  });

  it('names source, line and column on a YAML syntax error', () => {
    const text = `${cm('a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n    bad: indent\n`;
    const e = error(() => parseManifests(text, 'deploy.yaml'));
    expect(e).toBeInstanceOf(ManifestError);
    expect(e).toBeInstanceOf(StatusError);
    expect(e.reason).toBe('BadRequest');
    expect(e.code).toBe(400);
    expect(e.message).toMatch(/^deploy\.yaml:9:9: Nested mappings/);
    expect(e.line).toBe(9);
  });

  it('reports an unclosed flow sequence where it is', () => {
    const e = error(() => parseManifests('apiVersion: v1\nkind: ConfigMap\ndata: [a, b\n', 'cm.yaml'));
    expect(e.message).toMatch(/^cm\.yaml:\d+:\d+: /);
  });

  it('rejects duplicate keys', () => {
    const e = error(() => parseManifests('apiVersion: v1\nkind: ConfigMap\nkind: Secret\n', 'd.yaml'));
    expect(e.message).toMatch(/^d\.yaml:3:1: .*unique/);
  });

  it('names the document that is not an object or lacks apiVersion/kind', () => {
    expect(error(() => parseManifests(`${cm('a')}---\n- a\n- b\n`, 'f.yaml')).message).toBe('f.yaml:6:1: document 2 is a list, not an object with apiVersion and kind');
    expect(error(() => parseManifests(`${cm('a')}---\njust text\n`, 'f.yaml')).message).toContain('document 2 is a string');
    expect(error(() => parseManifests('kind: Pod\nmetadata: {name: a}\n', 'f.yaml')).message).toBe('f.yaml:1:1: document 1 has no "apiVersion"');
    expect(error(() => parseManifests(`${cm('a')}---\n${cm('b')}---\napiVersion: v1\n`, 'f.yaml')).message).toContain('document 3 has no "kind"');
    expect(error(() => parseManifests('apiVersion: v1\nkind: List\nitems:\n- {kind: Pod}\n', 'f.yaml')).message).toContain('document 1, item 1 has no "apiVersion"');
  });

  it('gives objects without metadata an empty one', () => {
    expect(parseManifests('apiVersion: v1\nkind: Namespace\n', 'n.yaml')[0]!.metadata).toEqual({});
  });

  it('returns nothing for an empty file', () => {
    expect(parseManifests('', 'e.yaml')).toEqual([]);
    expect(parseManifests('---\n# nothing\n', 'e.yaml')).toEqual([]);
  });
});

describe('parseBody', () => {
  it('parses JSON and YAML bodies, including non-object patches', () => {
    expect(parseBody('{"a":1}', 'application/json')).toEqual({ a: 1 });
    expect(parseBody('[{"op":"remove","path":"/a"}]', 'application/json-patch+json')).toEqual([{ op: 'remove', path: '/a' }]);
    expect(parseBody('a: 1\n', 'application/yaml; charset=utf-8')).toEqual({ a: 1 });
  });

  it('turns JSON.parse positions into line and column', () => {
    const e = error(() => parseBody('{\n  "a": 1,\n  "b" 2\n}', 'application/json'));
    expect(e).toBeInstanceOf(ManifestError);
    expect(e.message).toMatch(/^request body:3:7: invalid JSON: /);
    expect(e.message).not.toMatch(/position/);
  });

  it('reports truncated JSON at its end', () => {
    const e = error(() => parseBody('{\n "a": 1,', 'application/json'));
    expect(e.line).toBe(2);
  });

  it('reports YAML errors with position and refuses several documents', () => {
    expect(error(() => parseBody('a: [1\nb: 2\n', 'application/yaml')).message).toMatch(/^request body:\d+:\d+: /);
    expect(error(() => parseBody('a: 1\n---\nb: 2\n', 'application/yaml')).message).toBe('request body:2:1: expected one document, found 2');
    expect(error(() => parseBody('# nothing\n', 'application/yaml')).message).toContain('empty');
  });

  it('converts offsets to 1-based line and column', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
