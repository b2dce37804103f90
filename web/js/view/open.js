// Step 1 of the view: the app status line, the drop zone and file picker,
// open errors and the opened file's summary.

import { $, el, replace } from '../dom.js';
import { explain } from '../errors.js';
import { formatBytes, plural, shortDigest } from '../format.js';
import { byIds, errorBlock, GROUPED } from './common.js';

export class OpenView {
  constructor() {
    this.status = $('app-status');
    Object.assign(this, byIds('dropzone', 'file-input', 'choose-file', 'open-error', 'file-summary', 'cosign-note'));
  }

  setStatus(text, { error = false } = {}) {
    this.status.textContent = text;
    this.status.classList.toggle('error', error);
  }

  showFatal(err) {
    const x = explain(err);
    this.setStatus(x.title, { error: true });
    replace(this.openError, errorBlock(x));
    this.openError.hidden = false;
    this.fileInput.disabled = true;
    this.chooseFile.disabled = true;
  }

  bindOpen(handler) {
    this.chooseFile.addEventListener('click', () => this.fileInput.click());
    this.fileInput.addEventListener('change', () => {
      const file = this.fileInput.files && this.fileInput.files[0];
      if (file) handler(file);
      this.fileInput.value = '';
    });
    for (const type of ['dragenter', 'dragover']) {
      this.dropzone.addEventListener(type, (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        this.dropzone.classList.add('dragover');
      });
    }
    for (const type of ['dragleave', 'dragend']) {
      this.dropzone.addEventListener(type, () => this.dropzone.classList.remove('dragover'));
    }
    this.dropzone.addEventListener('drop', (e) => {
      e.preventDefault();
      this.dropzone.classList.remove('dragover');
      const file = e.dataTransfer.files && e.dataTransfer.files[0];
      if (file) handler(file);
    });
    // A file dropped outside the drop zone must not navigate away.
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => e.preventDefault());
  }

  showOpening(file) {
    this.setStatus(`Opening ${file.name}…`);
    this.openError.hidden = true;
    this.fileSummary.hidden = true;
  }

  showOpenError(file, err) {
    const x = explain(err);
    this.setStatus(`Could not open ${file.name}`, { error: true });
    replace(this.openError, errorBlock(x));
    this.openError.hidden = false;
  }

  /** The status line, the file summary and the cosign note for an opened tarball. */
  showSummary(opened, counts) {
    const { file, tree, openMs } = opened;
    this.setStatus(`Opened ${file.name} in ${Math.max(1, Math.round(openMs))} ms`);
    replace(
      this.fileSummary,
      el('dt', {}, 'File'),
      el('dd', { className: 'mono' }, file.name),
      el('dt', {}, 'Size'),
      el('dd', {}, `${formatBytes(file.size)} (${GROUPED.format(file.size)} bytes)`),
      el('dt', {}, 'Format'),
      el('dd', { dataset: { format: opened.format } }, opened.formatName),
      el('dt', {}, 'Contents'),
      el(
        'dd',
        {},
        [
          counts.bundle && plural(counts.bundle, 'bundle'),
          counts.image && plural(counts.image, 'image'),
          counts.index && plural(counts.index, 'index', 'indexes'),
          counts.signature && plural(counts.signature, 'signature'),
          plural(counts.layers, 'layer blob'),
        ]
          .filter(Boolean)
          .join(' · '),
      ),
    );
    if (opened.images && opened.images.length) {
      // An OCI layout's or docker-archive's names, as `airlock inspect` lists them.
      this.fileSummary.append(
        el('dt', {}, 'Images'),
        el('dd', {}, el('ul', { className: 'names' }, opened.images.map((i) => el('li', { dataset: { digest: i.digest } }, el('span', { className: 'mono' }, i.label), ' → ', el('span', { className: 'mono', attrs: { title: i.digest } }, shortDigest(i.digest)))))),
      );
    }
    if (tree.root) {
      this.fileSummary.append(el('dt', {}, 'Root'), el('dd', { className: 'mono' }, tree.root));
    }
    this.fileSummary.hidden = false;
    this.cosignNote.textContent = counts.signature
      ? `Cosign signatures: the ${plural(counts.signature, '.sig image')} in this tarball ${counts.signature === 1 ? 'is' : 'are'} copied like any other image, with ${counts.signature === 1 ? 'its' : 'their'} tag${counts.signature === 1 ? '' : 's'} (imgpkg's --cosign-signatures only changes copies from a registry).`
      : "Cosign signatures: this tarball holds no .sig images, so there are none to copy (imgpkg's --cosign-signatures only changes copies from a registry).";
    if (tree.problems && tree.problems.length) {
      this.fileSummary.append(el('dt', {}, 'Problems'), el('dd', {}, `${plural(tree.problems.length, 'problem')} found while reading — run Verify for the list.`));
    }
  }
}
