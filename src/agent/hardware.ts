// Hardware profiles (hardware-profiles/*.yaml): what a device model is, what it reserves for
// the system and the agent, and which device capabilities it offers. The agent detects its
// model from the device tree, else falls back to the generic profile of its architecture.
//
// The YAML files are the source people edit; `npm run build` also compiles them into
// hardware-profiles/profiles.json (scripts/build-profiles.js), which the agent reads instead:
// the yaml parser (~3.8 MB of RSS, 70 modules) would otherwise stay loaded for the agent's whole
// life to read seven small files once. The JSON names the hash of every YAML file it was made
// from and is used only when they all still match, so an edited, added or removed YAML file (or
// a profile dir without the JSON) is parsed as YAML: the JSON can be stale, never wrong.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Checked by hand, not with typebox: the agent avoids loading typebox (see decode.ts).
export interface HardwareProfile {
  id: string;
  name: string;
  /** A generic profile is chosen by architecture when no model matches. */
  generic?: boolean;
  /** Prefixes of /proc/device-tree/model ("Raspberry Pi 4 Model B" matches "... Rev 1.4"). */
  match?: { models: string[] };
  /** Kubernetes architecture name: arm64, amd64, arm. */
  architecture: string;
  cpus?: number;
  memoryVariants: string[];
  reserved: { system: { cpu: string; memory: string }; agent: { cpu: string; memory: string } };
  capabilities: string[];
  /** Boot partition layout, for flashing images. */
  boot?: { partition: number; filesystem: string; label?: string; mountPoint: string; configTxt: string; cmdlineTxt: string };
}

const nameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const strList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);

/** Why `v` is not a valid profile (field path and problem), or undefined. */
function profileProblem(v: unknown): string | undefined {
  if (!isObj(v)) return '/: expected a mapping';
  const known = ['id', 'name', 'generic', 'match', 'architecture', 'cpus', 'memoryVariants', 'reserved', 'capabilities', 'boot'];
  const unknown = Object.keys(v).find((k) => !known.includes(k));
  if (unknown) return `/${unknown}: unknown field`;
  if (!isStr(v.id) || v.id.length > 63 || !nameRe.test(v.id)) return '/id: expected lowercase letters, digits and "-"';
  if (!isStr(v.name)) return '/name: expected a string';
  if (v.generic !== undefined && typeof v.generic !== 'boolean') return '/generic: expected true or false';
  if (v.match !== undefined && (!isObj(v.match) || !strList(v.match.models))) return '/match/models: expected a list of model strings';
  if (!isStr(v.architecture)) return '/architecture: expected a string';
  if (v.cpus !== undefined && !(Number.isInteger(v.cpus) && (v.cpus as number) >= 1)) return '/cpus: expected a positive integer';
  if (!Array.isArray(v.memoryVariants) || !v.memoryVariants.every(isStr)) return '/memoryVariants: expected a list of quantities';
  if (!isObj(v.reserved)) return '/reserved: expected system and agent reservations';
  for (const k of ['system', 'agent']) {
    const r = v.reserved[k];
    if (!isObj(r) || !isStr(r.cpu) || !isStr(r.memory)) return `/reserved/${k}: expected cpu and memory`;
  }
  if (!Array.isArray(v.capabilities) || !v.capabilities.every((c) => isStr(c) && nameRe.test(c))) return '/capabilities: expected a list of lowercase names';
  if (v.boot !== undefined) {
    const b = v.boot;
    if (!isObj(b) || !Number.isInteger(b.partition) || !isStr(b.filesystem) || !isStr(b.mountPoint) || !isStr(b.configTxt) || !isStr(b.cmdlineTxt)) {
      return '/boot: expected partition, filesystem, mountPoint, configTxt and cmdlineTxt';
    }
  }
  return undefined;
}

export class HardwareProfileError extends Error {
  constructor(message: string, readonly file: string) {
    super(`${file}: ${message}`);
    this.name = 'HardwareProfileError';
  }
}

/** hardware-profiles/ next to src/ (in the repository) or dist/ (installed). */
export function defaultProfilesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'hardware-profiles');
    if (existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve('hardware-profiles');
}

export function parseProfile(text: string, file: string, parseYaml: (t: string) => unknown): HardwareProfile {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new HardwareProfileError(`not valid YAML: ${(err as Error).message}`, file);
  }
  const problem = profileProblem(value);
  if (problem) throw new HardwareProfileError(`invalid profile at ${problem}`, file);
  return value as HardwareProfile;
}

/** The compiled profiles next to the YAML files they were made from. */
export const compiledProfilesFile = 'profiles.json';

/** hardware-profiles/profiles.json: the profiles of a directory and the YAML they came from. */
export interface CompiledProfiles {
  /** YAML file name → sha256 (hex) of its content, for every YAML file in the directory. */
  sources: Record<string, string>;
  profiles: HardwareProfile[];
}

const isYamlFile = (f: string): boolean => f.endsWith('.yaml') || f.endsWith('.yml');

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Ids must be unique across a directory; the file is the one that repeats an id. */
function checkUnique(profiles: { p: HardwareProfile; file: string }[]): HardwareProfile[] {
  const ids = new Set<string>();
  for (const { p, file } of profiles) {
    if (ids.has(p.id)) throw new HardwareProfileError(`duplicate profile id "${p.id}"`, file);
    ids.add(p.id);
  }
  return profiles.map(({ p }) => p);
}

/** Parses every YAML profile of `texts` (file name → content, in file-name order) with the yaml package. */
export async function parseYamlProfiles(dir: string, texts: Map<string, string>): Promise<HardwareProfile[]> {
  // yaml is only needed when there is no matching profiles.json: loaded here, not at module load.
  const { parse } = await import('yaml');
  return checkUnique([...texts].map(([f, text]) => ({ p: parseProfile(text, path.join(dir, f), parse), file: path.join(dir, f) })));
}

/** The YAML profile files of `dir` (sorted by name) and their contents. */
async function readYamlFiles(dir: string): Promise<Map<string, string>> {
  const files = (await readdir(dir)).filter(isYamlFile).sort();
  return new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(dir, f), 'utf8')] as const)));
}

/** What scripts/build-profiles.js writes: the profiles of `dir`, parsed from its YAML files. */
export async function compileProfiles(dir = defaultProfilesDir()): Promise<CompiledProfiles> {
  const texts = await readYamlFiles(dir);
  const profiles = await parseYamlProfiles(dir, texts);
  return { sources: Object.fromEntries([...texts].map(([f, t]) => [f, sha256(t)])), profiles };
}

/** profiles.json's text: stable (file order, 2-space indent), so a rebuild without changes rewrites nothing. */
export function formatCompiledProfiles(c: CompiledProfiles): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}

/**
 * The compiled profiles of `dir` when its profiles.json was made from exactly the YAML files
 * it has now (same names, same contents), else undefined. Every profile is checked again.
 */
async function readCompiled(dir: string, texts: Map<string, string>): Promise<HardwareProfile[] | undefined> {
  let compiled: unknown;
  try {
    compiled = JSON.parse(await readFile(path.join(dir, compiledProfilesFile), 'utf8'));
  } catch {
    return undefined; // none (a user's own profile dir), or unreadable: the YAML decides
  }
  if (!isObj(compiled) || !isObj(compiled.sources) || !Array.isArray(compiled.profiles)) return undefined;
  const sources = compiled.sources;
  if (Object.keys(sources).length !== texts.size) return undefined;
  for (const [f, text] of texts) if (sources[f] !== sha256(text)) return undefined;
  const file = path.join(dir, compiledProfilesFile);
  return checkUnique(compiled.profiles.map((p: unknown) => {
    const problem = profileProblem(p);
    if (problem) throw new HardwareProfileError(`invalid profile at ${problem}`, file);
    return { p: p as HardwareProfile, file };
  }));
}

export async function loadProfiles(dir = defaultProfilesDir()): Promise<HardwareProfile[]> {
  const texts = await readYamlFiles(dir);
  return (await readCompiled(dir, texts)) ?? parseYamlProfiles(dir, texts);
}

/** Node's process.arch → the Kubernetes architecture name. */
export function kubeArch(nodeArch: string = process.arch): string {
  switch (nodeArch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    default: return nodeArch; // arm64, arm, riscv64, ppc64, s390x are already the same names
  }
}

/** "Raspberry Pi 4 Model B" matches "Raspberry Pi 4 Model B Rev 1.4" but "Raspberry Pi 5" not "Raspberry Pi 500". */
function modelMatches(model: string, prefix: string): boolean {
  return model === prefix || model.startsWith(`${prefix} `);
}

/**
 * The profile for a device-tree model string (undefined when there is none, e.g. on x86),
 * else the generic profile for the architecture; the longest matching prefix wins.
 */
export function detectProfile(profiles: HardwareProfile[], model: string | undefined, arch: string): HardwareProfile {
  if (model) {
    let best: { p: HardwareProfile; len: number } | undefined;
    for (const p of profiles) {
      for (const m of p.match?.models ?? []) {
        if (modelMatches(model, m) && (!best || m.length > best.len)) best = { p, len: m.length };
      }
    }
    if (best) return best.p;
  }
  const generic = profiles.find((p) => p.generic && p.architecture === arch)
    // A 32-bit OS on a 64-bit board still runs the arm64 profile's reservations best.
    ?? profiles.find((p) => p.generic && arch === 'arm' && p.architecture === 'arm64')
    ?? profiles.find((p) => p.generic);
  if (!generic) throw new HardwareProfileError(`no profile matches model ${JSON.stringify(model)} and no generic profile exists`, 'hardware-profiles');
  return generic;
}

/** /proc/device-tree/model without its trailing NUL; undefined where there is no device tree. */
export async function readDeviceModel(file = '/proc/device-tree/model'): Promise<string | undefined> {
  try {
    const text = (await readFile(file, 'latin1')).replace(/\0+$/, '').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Extended resources a profile's capabilities become (`bramble.dev/gpio: "1"`). */
export function capabilityResources(p: HardwareProfile): Record<string, string> {
  return Object.fromEntries(p.capabilities.map((c) => [`bramble.dev/${c}`, '1']));
}

/** Labels a profile gives its Node. */
export function profileLabels(p: HardwareProfile): Record<string, string> {
  const labels: Record<string, string> = {
    'bramble.dev/model': p.id,
    'node.kubernetes.io/instance-type': p.id,
  };
  for (const c of p.capabilities) labels[`bramble.dev/capability.${c}`] = 'true';
  return labels;
}
