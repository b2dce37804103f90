// The view: the only code that touches the DOM, split into one part per
// step of the page (web/js/view/*.js). Everything untrusted reaches the
// page through el()/textContent (see dom.js), never as HTML.
//
// The controller talks to the parts directly (`view.verify.showResult(v)`);
// this class makes them and does what spans several (opening a tarball).

import { $ } from './dom.js';
import { DestinationView } from './view/destination.js';
import { FilesView } from './view/files.js';
import { OpenView } from './view/open.js';
import { PreviewView } from './view/preview.js';
import { PushView } from './view/push.js';
import { countItems, TreeView } from './view/tree.js';
import { VerifyView } from './view/verify.js';

export class View {
  constructor() {
    this.open = new OpenView();
    this.tree = new TreeView();
    this.files = new FilesView();
    this.verify = new VerifyView();
    this.destination = new DestinationView();
    this.preview = new PreviewView();
    this.push = new PushView();
    this.sections = {
      inspect: $('inspect'),
      verify: $('verify'),
      preview: $('preview'),
      push: $('push'),
    };
  }

  setStatus(text, options) {
    this.open.setStatus(text, options);
  }

  showFatal(err) {
    this.open.showFatal(err);
  }

  showOpening(file) {
    this.open.showOpening(file);
    for (const s of Object.values(this.sections)) s.hidden = true;
  }

  showArchive(opened) {
    this.open.showSummary(opened, countItems(opened.tree.items));
    this.tree.render(opened.tree);
    this.files.render(opened.tree.bundles || []);
    this.destination.setFormat(opened.format);
    this.resetPerTarball();
    for (const s of Object.values(this.sections)) s.hidden = false;
  }

  /** Verify and push state belong to one tarball: a new one starts afresh. */
  resetPerTarball() {
    this.verify.reset();
    this.push.reset();
    this.destination.clearConnectionResult();
  }
}
