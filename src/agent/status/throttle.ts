// Raspberry Pi firmware throttling flags. Bits 0–3 are the current state (under-voltage,
// frequency capped, throttled, soft temperature limit); bits 16+ say "has happened since boot".
import { readFile } from 'node:fs/promises';

const candidates = [
  '/sys/devices/platform/soc/soc:firmware/get_throttled',
  '/sys/devices/platform/soc/soc:firmware/raspberrypi-hwmon/get_throttled',
];

export function parseThrottled(text: string): boolean | undefined {
  // sysfs gives bare hex ("50005"); vcgencmd's form is "throttled=0x50005".
  const t = text.trim().replace(/^throttled=/, '');
  if (t === '') return undefined;
  const n = Number.parseInt(t, 16);
  if (!Number.isFinite(n)) return undefined;
  return (n & 0xf) !== 0;
}

/** Whether the SoC throttles now; undefined where the firmware does not say (not a Pi, old kernel). */
export async function readThrottled(files = candidates): Promise<boolean | undefined> {
  for (const f of files) {
    try {
      return parseThrottled(await readFile(f, 'utf8'));
    } catch {
      // Try the next location.
    }
  }
  return undefined;
}
