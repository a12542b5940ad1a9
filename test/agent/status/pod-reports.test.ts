import { describe, expect, it } from 'vitest';
import { PodReportBatcher } from '../../../src/agent/status/pod-reports.js';
import type { PodStatusReport } from '../../../src/protocol/messages.js';
import { ManualClock } from '../helpers.js';

function report(uid: string, phase: string): PodStatusReport {
  return { v: 1, type: 'podstatus', namespace: 'default', name: `pod-${uid}`, uid, status: { phase } } as PodStatusReport;
}

function setup(delayMs: number): { clock: ManualClock; b: PodReportBatcher; sent: string[] } {
  const clock = new ManualClock();
  const sent: string[] = [];
  const b = new PodReportBatcher(clock, delayMs, (r) => sent.push(`${r.uid} ${r.status.phase}`));
  return { clock, b, sent };
}

describe('pod status reports: batched', () => {
  it('sends nothing before the delay, then only the latest report of each pod, in the order pods first changed', async () => {
    const { clock, b, sent } = setup(50);
    b.add(report('a', 'Pending'));
    b.add(report('b', 'Pending'));
    b.add(report('a', 'Running'));
    await clock.advance(49);
    expect(sent).toEqual([]);
    expect(b.pending).toBe(2);
    await clock.advance(1);
    expect(sent).toEqual(['a Running', 'b Pending']);
    expect(b.pending).toBe(0);
  });

  it('a report after a flush starts a new delay', async () => {
    const { clock, b, sent } = setup(50);
    b.add(report('a', 'Pending'));
    await clock.advance(50);
    b.add(report('a', 'Running'));
    await clock.advance(30);
    expect(sent).toEqual(['a Pending']);
    await clock.advance(20);
    expect(sent).toEqual(['a Pending', 'a Running']);
  });

  it('flush sends what waits at once, and the timer then sends nothing twice', async () => {
    const { clock, b, sent } = setup(50);
    b.add(report('a', 'Running'));
    b.flush();
    expect(sent).toEqual(['a Running']);
    await clock.advance(100);
    expect(sent).toEqual(['a Running']);
  });

  it('a delay of 0 sends every report as it comes', () => {
    const { b, sent } = setup(0);
    b.add(report('a', 'Pending'));
    b.add(report('a', 'Running'));
    expect(sent).toEqual(['a Pending', 'a Running']);
  });
});
