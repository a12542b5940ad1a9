// A minimal in-memory ustar writer: enough to hand `docker import` a tiny root file system
// (the pause image) without a dependency or a temporary directory. Short names only (≤ 100
// bytes, no prefix field), regular files, directories and symbolic links.

export type TarEntry =
  | { type: 'file'; name: string; mode?: number; data: Buffer }
  | { type: 'dir'; name: string; mode?: number }
  | { type: 'symlink'; name: string; target: string };

const BLOCK = 512;

function putString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar: "${value}" is longer than ${length} bytes`);
  bytes.copy(header, offset);
}

/** Octal number, zero-padded to length-1 digits, NUL-terminated (the portable ustar form). */
function putOctal(header: Buffer, offset: number, length: number, value: number): void {
  putString(header, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

function header(entry: TarEntry, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  const defaultMode = entry.type === 'dir' ? 0o755 : entry.type === 'symlink' ? 0o777 : 0o644;
  putString(h, 0, 100, entry.name);
  putOctal(h, 100, 8, entry.type === 'symlink' ? 0o777 : (entry.mode ?? defaultMode));
  putOctal(h, 108, 8, 0); // uid: root
  putOctal(h, 116, 8, 0); // gid: root
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, mtime);
  h.fill(' ', 148, 156); // the checksum is computed with its own field as spaces
  h.write(entry.type === 'file' ? '0' : entry.type === 'symlink' ? '2' : '5', 156, 'latin1');
  if (entry.type === 'symlink') putString(h, 157, 100, entry.target);
  h.write('ustar\u000000', 257, 'latin1'); // magic "ustar\0" + version "00"
  putString(h, 265, 32, 'root');
  putString(h, 297, 32, 'root');
  let sum = 0;
  for (const byte of h) sum += byte;
  putString(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** The whole archive as one buffer (callers keep archives small: a few MB at most). */
export function tarArchive(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const data = entry.type === 'file' ? entry.data : Buffer.alloc(0);
    const name = entry.type === 'dir' && !entry.name.endsWith('/') ? `${entry.name}/` : entry.name;
    parts.push(header({ ...entry, name }, data.length, mtime));
    if (data.length > 0) {
      parts.push(data);
      const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end of archive: two zero blocks
  return Buffer.concat(parts);
}
