// The bundle files of the view: a button per file of each bundle, and the
// chosen file shown as text.

import { clear, el } from '../dom.js';
import { explain } from '../errors.js';
import { formatBytes } from '../format.js';
import { byIds } from './common.js';

export class FilesView {
  constructor() {
    Object.assign(this, byIds('bundle-files', 'files-empty', 'file-view', 'file-view-name', 'file-view-text'));
  }

  render(bundles) {
    clear(this.bundleFiles);
    this.filesEmpty.hidden = bundles.length > 0;
    for (const b of bundles) {
      const group = el('div', { className: 'bundle-group' });
      group.append(el('p', { className: 'bundle-group-title' }, b.source || b.digest));
      for (const f of b.files) {
        group.append(
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
