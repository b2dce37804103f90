// The bundle files of the view: a button per file of each bundle, and the
// chosen file shown as text.

import { clear, el } from '../dom.js';
import { explain } from '../errors.js';
import { formatBytes, plural } from '../format.js';
import { byIds, paged } from './common.js';

/** Up to this many bundles, every bundle's files are listed at open. */
export const FILES_OPEN_MAX = 8;

/** Files listed per page in a bundle's group. */
export const FILES_PAGE = 30;

/** A button per file of bundle `b`, FILES_PAGE at a time. */
function fileButtons(b) {
  return paged(b.files, {
    size: FILES_PAGE,
    noun: 'files',
    build: (f) =>
      el(
        'button',
        {
          type: 'button',
          attrs: { 'aria-pressed': 'false' },
          dataset: { bundle: b.digest, path: f.path },
        },
        el('span', { className: 'path' }, f.path),
        el('span', { className: 'size' }, formatBytes(f.size)),
      ),
  });
}

export class FilesView {
  constructor() {
    Object.assign(this, byIds('bundle-files', 'files-empty', 'file-view', 'file-view-name', 'file-view-text'));
  }

  /**
   * A group per bundle (the root bundle first). With more than
   * FILES_OPEN_MAX bundles (a package repository) only the root's group is
   * open; the others build their buttons when first opened.
   */
  render(bundles) {
    clear(this.bundleFiles);
    this.filesEmpty.hidden = bundles.length > 0;
    const few = bundles.length <= FILES_OPEN_MAX;
    for (const [i, b] of bundles.entries()) {
      const open = few || (i === 0 && b.root);
      const title = el('summary', { className: 'bundle-group-title' }, `${b.source || b.digest} · ${plural(b.files.length, 'file')}`);
      const group = el('details', { className: 'bundle-group', open }, title);
      if (open) group.append(...fileButtons(b));
      else {
        group.addEventListener(
          'toggle',
          () => {
            if (group.open) group.append(...fileButtons(b));
          },
          { once: true },
        );
      }
      this.bundleFiles.append(group);
    }
    this.fileView.hidden = true;
  }

  bindFile(handler) {
    this.bundleFiles.addEventListener('click', (e) => {
      const button = e.target.closest('button[data-path]');
      if (!button) return;
      for (const b of this.bundleFiles.querySelectorAll('button[aria-pressed="true"]')) b.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-pressed', 'true');
      handler(button.dataset.bundle, button.dataset.path);
    });
  }

  showFile(path, text) {
    this.fileViewName.textContent = path;
    this.fileViewText.textContent = text;
    this.fileView.hidden = false;
  }

  showFileError(path, err) {
    const x = explain(err);
    this.fileViewName.textContent = path;
    this.fileViewText.textContent = `${x.title}: ${x.message}`;
    this.fileView.hidden = false;
  }
}
