// `bramble master` / `bramble up` flags parsed with commander and mapped onto MasterOptions.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addMasterFlags, controllerSettings, schedulerSettings, type MasterFlags } from '../../src/cli/commands/master.js';

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

describe('master/up --scheduler-scoring', () => {
  it('maps onto MasterOptions.scheduler', () => {
    expect(schedulerSettings(parse(['--scheduler-scoring', 'binpack']))).toEqual({ scoring: 'binpack' });
    expect(schedulerSettings(parse(['--scheduler-scoring', 'spread']))).toEqual({ scoring: 'spread' });
  });

  it('leaves the default (spread) alone when absent', () => {
    expect(schedulerSettings(parse([]))).toEqual({});
  });

  it('refuses other strategies', () => {
    expect(() => parse(['--scheduler-scoring', 'random'])).toThrow(/spread .* or binpack/);
  });
});
