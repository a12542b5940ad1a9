import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../src/api/defaults.js';
import { parseManifests } from '../../src/api/manifest.js';
import { resourceByKind } from '../../src/api/registry.js';
import { findUnknownFields, validateObject } from '../../src/api/validation.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('realistic Kubernetes manifests', () => {
  it('has fixtures', () => expect(files.length).toBeGreaterThanOrEqual(6));
  for (const file of files) {
    const objects = parseManifests(readFileSync(join(dir, file), 'utf8'), file);
    for (const obj of objects) {
      const rt = resourceByKind(obj.apiVersion, obj.kind)!;
      it(`${file}: ${obj.kind} ${obj.metadata.name} validates unchanged, with no unknown fields`, () => {
        expect(rt).toBeDefined();
        expect(validateObject(rt, obj)).toEqual([]);
        expect(findUnknownFields(rt, obj)).toEqual([]);
      });
      it(`${file}: ${obj.kind} ${obj.metadata.name} still validates after defaulting`, () => {
        const d = applyDefaults(rt, obj);
        expect(validateObject(rt, d)).toEqual([]);
        expect(findUnknownFields(rt, d)).toEqual([]);
      });
    }
  }
});
