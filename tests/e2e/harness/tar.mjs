// A minimal USTAR writer for test inputs (regular files and directories,
// names up to 100 bytes, mode 0644/0755, uid/gid 0, mtime 0), like the tars
// imgpkg writes. Test-only: the product reads tars with the core's reader.

const BLOCK = 512;

function octal(n, width) {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

export function header(name, size, { type = '0', mode = 0o644 } = {}) {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) throw new Error(`tar name too long for USTAR: ${name}`);
  const h = Buffer.alloc(BLOCK, 0);
  nameBytes.copy(h, 0);
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii');
  h.fill(0x20, 148, 156); // checksum placeholder: spaces
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

export function padding(size) {
  const rem = size % BLOCK;
  return rem === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rem, 0);
}

export const END = Buffer.alloc(BLOCK * 2, 0);

/** An in-memory tar of [{name, data, type?, mode?}]. */
export function tarOf(entries) {
  const parts = [];
  for (const e of entries) {
    const data = e.data ? Buffer.from(e.data) : Buffer.alloc(0);
    parts.push(header(e.name, data.length, e), data, padding(data.length));
  }
  parts.push(END);
  return Buffer.concat(parts);
}
