// Step 4 of the view: the relocation preview table (paged, filtered,
// copyable), imgpkg's warnings and the downloads.

import { $, clear, el, replace } from '../dom.js';
import { explain } from '../errors.js';
import { shortDigest } from '../format.js';
import { badgeClass, byIds, download, errorBlock, flash, GROUPED } from './common.js';

/** Preview rows shown at first and per "Show more". */
export const PREVIEW_PAGE = 200;
/** Preview rows rendered per frame while a page fills. */
const PREVIEW_FIRST = 40;

export class PreviewView {
  constructor() {
    Object.assign(this, byIds('preview-empty', 'preview-error', 'preview-body', 'preview-filter', 'preview-copy', 'preview-count', 'preview-rows', 'preview-more-bar', 'preview-shown', 'preview-more', 'preview-all', 'downloads', 'preview-warnings'));
    this.previewPage = { rows: [], total: 0, shown: 0 };
    this.mappings = $('preview-mappings');
    this.mappingList = $('preview-mapping-list');
    this.layers = $('preview-layers');
  }

  /** The preview is waiting for something (the layers being compressed). */
  showBusy(text) {
    this.previewEmpty.hidden = false;
    this.previewEmpty.dataset.busy = 'true';
    this.previewEmpty.textContent = text;
    this.previewError.hidden = true;
    this.previewBody.hidden = true;
  }

  showEmpty() {
    delete this.previewEmpty.dataset.busy;
    this.previewEmpty.textContent = 'Enter a destination repository to see where every image lands.';
    this.previewEmpty.hidden = false;
    this.previewError.hidden = true;
    this.previewBody.hidden = true;
  }

  showError(err) {
    this.previewEmpty.hidden = true;
    this.previewBody.hidden = true;
    replace(this.previewError, errorBlock(explain(err), { bare: true }));
    this.previewError.hidden = false;
  }

  show(preview) {
    this.previewEmpty.hidden = true;
    this.previewError.hidden = true;
    this.previewBody.hidden = false;
    this.renderRows(preview.rows, preview.rows.length);
    // OCI layouts and docker-archives: every image's destination, as
    // `airlock copy` prints it before pushing.
    const mappings = preview.mappings || [];
    replace(
      this.mappingList,
      mappings.map((m) => el('li', { dataset: { digest: m.digest } }, el('span', { className: 'ref' }, m.source), ' → ', el('span', { className: 'ref' }, m.destination), el('span', { className: 'muted' }, ` (${shortDigest(m.digest)})`))),
    );
    this.mappings.hidden = mappings.length === 0;
    // The layer media types the images are pushed with (gzip for `--docker-layers gzip`).
    const types = preview.layerMediaTypes || [];
    this.layers.textContent = types.length ? `Layers sent as ${types.join(', ')}` : '';
    this.layers.hidden = types.length === 0;
    const warnings = preview.warnings || [];
    replace(this.previewWarnings, warnings.map((w) => el('li', {}, w)));
    this.previewWarnings.hidden = warnings.length === 0;
    replace(
      this.downloads,
      preview.downloads.map((d) =>
        el('button', { type: 'button', className: 'small', dataset: { filename: d.filename }, on: { click: () => download(d.filename, d.text) } }, `⤓ ${d.label}`),
      ),
    );
    if (preview.downloads.length === 0) this.downloads.append(el('p', { className: 'muted' }, 'Nothing to download for this tarball.'));
  }

  /**
   * Shows the first PREVIEW_PAGE of `rows` (the filtered rows; `total` is
   * the unfiltered count); "Show more" / "Show all" add the rest. "Copy
   * table" copies every filtered row, shown or not.
   */
  renderRows(rows, total) {
    clear(this.previewRows);
    cancelAnimationFrame(this.previewFrame);
    this.previewPage = { rows, total, shown: 0 };
    // The first rows at once, the rest of the page over the next frames, so
    // a filter over thousands of rows shows its result within one frame.
    this.appendRows(PREVIEW_FIRST);
    const more = () => {
      if (this.previewPage.shown >= Math.min(rows.length, PREVIEW_PAGE)) {
        delete this.previewRows.dataset.rendering;
        return;
      }
      this.appendRows(PREVIEW_FIRST);
      this.previewFrame = requestAnimationFrame(more);
    };
    if (rows.length > PREVIEW_FIRST) {
      this.previewRows.dataset.rendering = 'true';
      // After the frame that shows the first rows.
      this.previewFrame = requestAnimationFrame(() => {
        this.previewFrame = requestAnimationFrame(more);
      });
    }
    if (rows.length === 0) {
      this.previewRows.append(el('tr', {}, el('td', { attrs: { colspan: 4 }, className: 'muted' }, 'No row matches the filter.')));
    }
    const all = `${GROUPED.format(total)} ${total === 1 ? 'row' : 'rows'}`;
    this.previewCount.textContent = rows.length === total ? all : `${GROUPED.format(rows.length)} of ${all}`;
  }

  appendRows(count) {
    const p = this.previewPage;
    const end = Math.min(p.rows.length, p.shown + count);
    const frag = document.createDocumentFragment();
    for (let i = p.shown; i < end; i += 1) frag.append(previewRow(p.rows[i]));
    this.previewRows.append(frag);
    p.shown = end;
    const more = p.rows.length - p.shown;
    this.previewMoreBar.hidden = more === 0;
    this.previewShown.textContent = `Showing ${GROUPED.format(p.shown)} of ${GROUPED.format(p.rows.length)} rows.`;
    this.previewMore.textContent = `Show ${GROUPED.format(Math.min(more, PREVIEW_PAGE))} more`;
  }

  bindPaging() {
    const now = (count) => {
      cancelAnimationFrame(this.previewFrame);
      delete this.previewRows.dataset.rendering;
      this.appendRows(count);
    };
    this.previewMore.addEventListener('click', () => now(PREVIEW_PAGE));
    this.previewAll.addEventListener('click', () => now(Infinity));
  }

  bindFilter(handler) {
    this.previewFilter.addEventListener('input', () => handler(this.previewFilter.value));
  }

  filterValue() {
    return this.previewFilter.value;
  }

  bindCopyTable(handler) {
    this.previewCopy.addEventListener('click', handler);
  }

  async copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
      flash(this.previewCopy, 'Copied');
    } catch {
      // Clipboard refused (not focused, or permissions): select a textarea instead.
      const area = el('textarea', { className: 'visually-hidden', value: text });
      document.body.append(area);
      area.select();
      const ok = document.execCommand && document.execCommand('copy');
      area.remove();
      flash(this.previewCopy, ok ? 'Copied' : 'Copy failed');
    }
  }
}

function previewRow(r) {
  return el(
    'tr',
    { dataset: { kind: r.kind } },
    el('td', {}, el('span', { className: `badge ${badgeClass(r.kind)}` }, r.kind)),
    el('td', { className: 'ref' }, r.source),
    el('td', { className: 'ref' }, r.destination),
    el('td', { className: 'tags' }, r.tags.map((t) => el('span', {}, t))),
  );
}
