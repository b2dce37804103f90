// The golden imgpkg fixtures (tests/fixtures/) and derived test tarballs.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, requireFile } from './procs.mjs';

export const FIXTURES = path.join(ROOT, 'tests/fixtures');

export function fixture(name) {
  const dir = path.join(FIXTURES, name);
  const tar = requireFile(path.join(dir, `${name}.tar`), 'the golden fixtures are part of the repository');
  const lines = (file) =>
    readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
  return {
    name,
    dir,
    tar,
    manifest: JSON.parse(readFileSync(path.join(dir, 'tar-manifest.json'), 'utf8')),
    expectedTags: () => lines('expected-dst-from-tar-tags.txt').sort(),
  };
}
