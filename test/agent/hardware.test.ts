import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { capabilityResources, detectProfile, HardwareProfileError, kubeArch, loadProfiles, parseProfile, profileLabels, readDeviceModel } from '../../src/agent/hardware.js';
import { tempDir } from './helpers.js';

describe('hardware profiles', () => {
  it('loads every profile in hardware-profiles/', async () => {
    const ids = (await loadProfiles()).map((p) => p.id).sort();
    expect(ids).toEqual(['generic-amd64', 'generic-arm64', 'raspberry-pi-3b-plus', 'raspberry-pi-4b', 'raspberry-pi-5', 'raspberry-pi-cm4', 'raspberry-pi-zero-2-w']);
  });

  it.each([
    ['Raspberry Pi 4 Model B Rev 1.4', 'arm64', 'raspberry-pi-4b'],
    ['Raspberry Pi 4 Model B Rev 1.1', 'arm', 'raspberry-pi-4b'],
    ['Raspberry Pi 3 Model B Plus Rev 1.3', 'arm64', 'raspberry-pi-3b-plus'],
    ['Raspberry Pi Zero 2 W Rev 1.0', 'arm64', 'raspberry-pi-zero-2-w'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'arm64', 'raspberry-pi-5'],
    ['Raspberry Pi Compute Module 4 Rev 1.0', 'arm64', 'raspberry-pi-cm4'],
    ['Raspberry Pi 500 Rev 1.0', 'arm64', 'generic-arm64'],
    ['Raspberry Pi 3 Model B Rev 1.2', 'arm64', 'generic-arm64'],
    ['Pine64 RockPro64', 'arm64', 'generic-arm64'],
    [undefined, 'amd64', 'generic-amd64'],
    [undefined, 'arm', 'generic-arm64'],
  ])('model %j on %s → %s', async (model, arch, id) => {
    expect(detectProfile(await loadProfiles(), model, arch).id).toBe(id);
  });

  it('turns capabilities into extended resources and labels', async () => {
    const pi4 = detectProfile(await loadProfiles(), 'Raspberry Pi 4 Model B Rev 1.4', 'arm64');
    expect(capabilityResources(pi4)).toMatchObject({ 'bramble.dev/gpio': '1', 'bramble.dev/camera': '1' });
    expect(profileLabels(pi4)).toMatchObject({ 'bramble.dev/model': 'raspberry-pi-4b', 'node.kubernetes.io/instance-type': 'raspberry-pi-4b', 'bramble.dev/capability.i2c': 'true' });
    expect(pi4.boot).toMatchObject({ partition: 1, configTxt: 'config.txt', cmdlineTxt: 'cmdline.txt' });
  });

  it('reads the device-tree model without its trailing NUL, and nothing where there is none', async () => {
    const { dir, cleanup } = await tempDir();
    await writeFile(path.join(dir, 'model'), 'Raspberry Pi 4 Model B Rev 1.4\0');
    expect(await readDeviceModel(path.join(dir, 'model'))).toBe('Raspberry Pi 4 Model B Rev 1.4');
    expect(await readDeviceModel(path.join(dir, 'missing'))).toBeUndefined();
    await cleanup();
  });

  it('rejects an invalid profile naming the field', () => {
    expect(() => parseProfile('id: x\nname: X\narchitecture: arm64\nmemoryVariants: []\ncapabilities: [gpio]\n', 'x.yaml', parse)).toThrow(HardwareProfileError);
    expect(() => parseProfile('id: x\nname: X\narchitecture: arm64\nmemoryVariants: []\ncapabilities: [gpio]\n', 'x.yaml', parse)).toThrow(/reserved/);
  });

  it('maps Node architectures to Kubernetes names', () => {
    expect(kubeArch('x64')).toBe('amd64');
    expect(kubeArch('arm64')).toBe('arm64');
  });
});
