// Destination settings. The repository and options are kept in localStorage
// (they are not secrets). "Remember" keeps the username too. Passwords are
// left to the browser's password manager (the fields carry autocomplete
// username / current-password) and otherwise live in this object only —
// unless the operator ticks the separate "keep the password" option, which
// stores it in this origin's localStorage in clear text (the page says so).
// Credentials are never logged or put in URLs.

const SETTINGS_KEY = 'airlock.settings.v1';
const USERNAME_KEY = 'airlock.username.v2';
const PASSWORD_KEY = 'airlock.password.v2';
/** Before v2, "remember" stored {username, password} here. */
const LEGACY_CREDENTIALS_KEY = 'airlock.credentials.v1';

export const DEFAULT_SETTINGS = Object.freeze({
  repository: '',
  auth: 'anonymous',
  username: '',
  password: '',
  remember: false,
  rememberPassword: false,
  repoBasedTags: false,
  includeNonDistributableLayers: false,
  toRepoPrefix: false,
  /** docker-archive layers: 'tar' (as they are) or 'gzip' (`--docker-layers gzip`). */
  dockerLayers: 'tar',
  /** Upload chunk size in MiB; 0: one request per blob (chunks only after a 413). */
  uploadChunkMiB: 0,
  /** Requests in flight during a push (`--concurrency`); 0: by protocol (see pushConcurrency). */
  concurrency: 0,
});

export class Store {
  constructor(storage = safeLocalStorage()) {
    this.storage = storage;
    // Set when a password saved by an earlier version was found and removed.
    this.legacyPasswordRemoved = false;
    this.settings = { ...DEFAULT_SETTINGS, ...this.load() };
  }

  load() {
    if (!this.storage) return {};
    const out = {};
    try {
      const s = JSON.parse(this.storage.getItem(SETTINGS_KEY) || '{}');
      for (const key of ['repository', 'auth', 'repoBasedTags', 'includeNonDistributableLayers', 'toRepoPrefix', 'dockerLayers', 'uploadChunkMiB', 'concurrency']) {
        if (key in s && typeof s[key] === typeof DEFAULT_SETTINGS[key]) out[key] = s[key];
      }
      const username = this.storage.getItem(USERNAME_KEY);
      if (username !== null) {
        out.username = username;
        out.remember = true;
      }
      const password = this.storage.getItem(PASSWORD_KEY);
      if (password !== null && username !== null) {
        out.password = password;
        out.rememberPassword = true;
      }
      // Migrate the v1 "remember": keep the username, drop the clear-text
      // password (the operator did not choose the new, explicit option).
      const legacy = JSON.parse(this.storage.getItem(LEGACY_CREDENTIALS_KEY) || 'null');
      if (legacy !== null) {
        this.storage.removeItem(LEGACY_CREDENTIALS_KEY);
        if (legacy && typeof legacy.username === 'string' && username === null) {
          out.username = legacy.username;
          out.remember = true;
          this.storage.setItem(USERNAME_KEY, legacy.username);
        }
        this.legacyPasswordRemoved = !!(legacy && legacy.password);
      }
    } catch {
      // Unreadable saved settings: start from the defaults.
    }
    return out;
  }

  get() {
    return { ...this.settings };
  }

  update(changes) {
    this.settings = { ...this.settings, ...changes };
    if (!this.settings.remember) this.settings.rememberPassword = false;
    this.save();
    return this.get();
  }

  save() {
    if (!this.storage) return;
    const s = this.settings;
    try {
      this.storage.setItem(
        SETTINGS_KEY,
        JSON.stringify({
          repository: s.repository,
          auth: s.auth,
          repoBasedTags: s.repoBasedTags,
          includeNonDistributableLayers: s.includeNonDistributableLayers,
          toRepoPrefix: s.toRepoPrefix,
          dockerLayers: s.dockerLayers,
          uploadChunkMiB: s.uploadChunkMiB,
          concurrency: s.concurrency,
        }),
      );
      const keepUser = s.remember && s.auth === 'password';
      if (keepUser) this.storage.setItem(USERNAME_KEY, s.username);
      else this.storage.removeItem(USERNAME_KEY);
      if (keepUser && s.rememberPassword) this.storage.setItem(PASSWORD_KEY, s.password);
      else this.storage.removeItem(PASSWORD_KEY);
    } catch {
      // Storage full or disabled: settings stay in memory.
    }
  }

  /** The credentials to use, or null for anonymous access. */
  credentials() {
    const s = this.settings;
    if (s.auth !== 'password' || !s.username) return null;
    return { username: s.username, password: s.password };
  }
}

function safeLocalStorage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null;
  }
}
