import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addMasterFlags, controllerSettings, type MasterFlags } from '../../src/cli/commands/master.js';

function parse(args: string[]): MasterFlags {
  const cmd = addMasterFlags(new Command('master')).exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<MasterFlags>();
}

describe('master/up controller flags', () => {
  it('map onto MasterOptions.controllers', () => {
    expect(controllerSettings(parse(['--pod-eviction-timeout', '30', '--event-ttl', '600']))).toEqual({ podEvictionTimeoutSeconds: 30, eventTTLSeconds: 600 });
    expect(controllerSettings(parse(['--pod-eviction-timeout', '0']))).toEqual({ podEvictionTimeoutSeconds: 0 });
  });

  it('leave the defaults alone when absent', () => {
    expect(controllerSettings(parse([]))).toEqual({});
  });

  it('refuse what is not a whole number of seconds', () => {
    expect(() => parse(['--pod-eviction-timeout', '5m'])).toThrow(/whole number of seconds/);
    expect(() => parse(['--event-ttl', '0'])).toThrow(/from 1/);
  });
});
