// Step 3 of the view: the destination form (repository, auth, remember,
// options), the carried-over destination notice and "Test connection".

import { $, clear, el, replace } from '../dom.js';
import { explain } from '../errors.js';
import { byIds, errorBlock } from './common.js';

export class DestinationView {
  constructor() {
    this.form = $('destination-form');
    this.repository = $('repository');
    this.carried = $('destination-carried');
    this.carriedText = $('destination-carried-text');
    this.carriedConfirm = $('destination-confirm');
    this.carriedClear = $('destination-clear');
    Object.assign(this, byIds('auth-anonymous', 'auth-password', 'credentials', 'username', 'password', 'remember', 'remember-password', 'legacy-password-note', 'opt-repo-based-tags', 'opt-non-distributable', 'opt-upload-chunk', 'opt-concurrency', 'repository-help', 'prefix-option', 'opt-to-repo-prefix', 'prefix-help', 'docker-layers-option', 'docker-layers-help', 'opt-docker-layers', 'options-note', 'connection-busy', 'connection-result'));
    this.imgpkgHelp = [...this.repositoryHelp.childNodes];
    this.testButton = $('test-connection');
  }

  set(s) {
    this.repository.value = s.repository;
    this.authAnonymous.checked = s.auth !== 'password';
    this.authPassword.checked = s.auth === 'password';
    this.credentials.hidden = s.auth !== 'password';
    this.username.value = s.username;
    this.password.value = s.password;
    this.remember.checked = s.remember;
    this.rememberPassword.checked = s.remember && s.rememberPassword;
    this.rememberPassword.disabled = !s.remember;
    this.optRepoBasedTags.checked = s.repoBasedTags;
    this.optNonDistributable.checked = s.includeNonDistributableLayers;
    this.optUploadChunk.value = String(s.uploadChunkMiB || 0);
    this.optConcurrency.value = String(s.concurrency || 0);
    this.optToRepoPrefix.checked = !!s.toRepoPrefix;
    this.optDockerLayers.value = s.dockerLayers === 'gzip' ? 'gzip' : 'tar';
  }

  /**
   * The destination help for the opened tarball's format: an OCI layout or
   * docker-archive may go to one repository or under a prefix.
   */
  setFormat(format) {
    const images = format === 'oci-layout' || format === 'docker-archive';
    this.prefixOption.hidden = !images;
    this.prefixHelp.hidden = !images;
    // How layers are sent: docker-archives only (their layers are uncompressed tars).
    this.dockerLayersOption.hidden = format !== 'docker-archive';
    this.dockerLayersHelp.hidden = format !== 'docker-archive';
    this.optRepoBasedTags.disabled = images;
    this.optNonDistributable.disabled = images;
    this.optionsNote.hidden = !images;
    if (images) {
      replace(this.repositoryHelp, 'Every image lands in this one repository with its tags, at the same digests — like ', el('code', {}, 'airlock copy --tar … --to-repo'), '. Or tick “prefix” to place each image by its own repository path under it.');
    } else {
      replace(this.repositoryHelp, this.imgpkgHelp);
    }
  }

  get() {
    return {
      repository: this.repository.value.trim(),
      auth: this.authPassword.checked ? 'password' : 'anonymous',
      username: this.username.value,
      password: this.password.value,
      remember: this.remember.checked,
      rememberPassword: this.remember.checked && this.rememberPassword.checked,
      repoBasedTags: this.optRepoBasedTags.checked,
      includeNonDistributableLayers: this.optNonDistributable.checked,
      toRepoPrefix: this.optToRepoPrefix.checked,
      dockerLayers: this.optDockerLayers.value === 'gzip' ? 'gzip' : 'tar',
      uploadChunkMiB: Number(this.optUploadChunk.value) || 0,
      concurrency: Number(this.optConcurrency.value) || 0,
    };
  }

  bindChange(handler) {
    const fire = (e) => {
      this.credentials.hidden = !this.authPassword.checked;
      this.rememberPassword.disabled = !this.remember.checked;
      if (!this.remember.checked) this.rememberPassword.checked = false;
      handler(this.get(), { repositoryEdited: e.target === this.repository });
    };
    this.form.addEventListener('input', fire);
    this.form.addEventListener('change', fire);
    this.form.addEventListener('submit', (e) => e.preventDefault());
  }

  /** A destination kept from before this tarball: shown, to be confirmed or cleared. */
  showCarried(repository, from) {
    this.carriedText.textContent = from ? `Carried over from ${from}: ${repository}` : `Remembered from an earlier visit: ${repository}`;
    this.carried.hidden = false;
    this.repository.setAttribute('aria-describedby', 'destination-carried-text repository-help');
  }

  hideCarried() {
    this.carried.hidden = true;
    this.repository.setAttribute('aria-describedby', 'repository-help');
  }

  bindCarried(confirm, clearIt) {
    this.carriedConfirm.addEventListener('click', confirm);
    this.carriedClear.addEventListener('click', clearIt);
  }

  /** Empties the repository field and puts the focus there. */
  clearRepository() {
    this.repository.value = '';
    this.repository.focus();
  }

  showLegacyPasswordRemoved() {
    this.legacyPasswordNote.hidden = false;
  }

  bindTestConnection(handler) {
    this.testButton.addEventListener('click', handler);
  }

  showConnectionBusy() {
    this.testButton.disabled = true;
    this.connectionBusy.hidden = false;
    clear(this.connectionResult);
  }

  showConnectionResult(r) {
    this.testButton.disabled = false;
    this.connectionBusy.hidden = true;
    const block = el(
      'div',
      { className: `alert ${r.ok ? 'ok' : 'error'}`, attrs: { 'data-code': r.code || 'OK', role: r.ok ? null : 'alert' } },
      el('p', { className: 'title' }, r.title),
      r.hint ? el('p', { className: 'hint' }, r.hint) : null,
      r.steps && r.steps.length ? el('ul', {}, r.steps.map((s) => el('li', {}, `${s.ok ? '✓' : '✗'} ${s.text}`))) : null,
      r.code ? el('p', { className: 'code' }, r.code) : null,
    );
    replace(this.connectionResult, block);
  }

  showConnectionError(err) {
    this.testButton.disabled = false;
    this.connectionBusy.hidden = true;
    replace(this.connectionResult, errorBlock(explain(err)));
  }

  clearConnectionResult() {
    clear(this.connectionResult);
  }
}
