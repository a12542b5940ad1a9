import { describe, expect, it } from 'vitest';
import { StatusError } from '../../src/api/status.js';
import { ApiError } from '../../src/client/errors.js';
import { CliError, formatError } from '../../src/cli/errors.js';
import { parseTargets } from '../../src/cli/kinds.js';
import { parseCascade } from '../../src/cli/commands/delete.js';
import { parseOutput } from '../../src/cli/commands/get.js';

const kinds = (args: string[]) => parseTargets(args).map((t) => [t.rt.plural, ...t.names]);

describe('kind arguments', () => {
  it('accepts short names, plurals, kinds, KIND/NAME, comma lists and all', () => {
    expect(kinds(['po', 'a', 'b'])).toEqual([['pods', 'a', 'b']]);
    expect(kinds(['Deployment'])).toEqual([['deployments']]);
    expect(kinds(['deployments.apps'])).toEqual([['deployments']]);
    expect(kinds(['pod/a', 'svc/b', 'po/c'])).toEqual([['pods', 'a', 'c'], ['services', 'b']]);
    expect(kinds(['po,svc'])).toEqual([['pods'], ['services']]);
    expect(kinds(['all']).map((k) => k[0])).toEqual(['pods', 'services', 'daemonsets', 'deployments', 'replicasets']);
  });

  it('rejects unknown kinds and mixed forms with kubectl wording', () => {
    expect(() => parseTargets(['widgets'])).toThrow('the server doesn\'t have a resource type "widgets"');
    expect(() => parseTargets(['pod/a', 'b'])).toThrow(/no need to specify a resource type/);
    expect(() => parseTargets(['po,svc', 'x'])).toThrow(/single resource type/);
    expect(() => parseTargets([])).toThrow(CliError);
  });

  it('checks -o and --cascade values', () => {
    expect(parseOutput('yaml')).toBe('yaml');
    expect(parseOutput(undefined)).toBe('table');
    expect(() => parseOutput('xml')).toThrow('unable to match a printer suitable for the output format "xml", allowed formats are: json,name,wide,yaml');
    expect(parseCascade('orphan')).toBe('Orphan');
    expect(parseCascade('false')).toBe('Orphan');
    expect(() => parseCascade('maybe')).toThrow(/invalid cascade/);
  });
});

describe('error lines', () => {
  it('prints server errors like kubectl, with field paths the message lacks', () => {
    expect(formatError(new ApiError('NotFound', 'pods "x" not found', 404))).toBe('Error from server (NotFound): pods "x" not found');
    const invalid = new ApiError('Invalid', 'Pod "x" is invalid', 422, { causes: [{ field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }] });
    expect(formatError(invalid, 'error when applying "p.yaml"')).toBe('Error from server (Invalid): error when applying "p.yaml": Pod "x" is invalid: spec.containers[0].image: Required value');
    const named = new ApiError('Invalid', 'Pod "x" is invalid: spec.containers[0].image: Required value', 422, { causes: [{ field: 'spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }] });
    expect(formatError(named)).toBe('Error from server (Invalid): Pod "x" is invalid: spec.containers[0].image: Required value');
  });

  it('prints local errors as error: lines', () => {
    expect(formatError(new CliError('the path "x" does not exist'))).toBe('error: the path "x" does not exist');
    expect(formatError(new StatusError('BadRequest', 'a.yaml:3:5: bad indentation'))).toBe('error: a.yaml:3:5: bad indentation');
  });
});
