import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addMasterFlags, schedulerSettings, type MasterFlags } from '../../src/cli/commands/master.js';

function parse(args: string[]): MasterFlags {
  const cmd = addMasterFlags(new Command('master')).exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(args, { from: 'user' });
  return cmd.opts<MasterFlags>();
}

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
