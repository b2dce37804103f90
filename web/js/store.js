// Destination settings. The repository and options are kept in localStorage
// (they are not secrets). Credentials live in this object only, unless the
// operator ticks "remember", which is an explicit opt-in that stores them in
// localStorage for this origin. They are never logged or put in URLs.

const SETTINGS_KEY = 'airlock.settings.v1';
const CREDENTIALS_KEY = 'airlock.credentials.v1';

export const DEFAULT_SETTINGS = Object.freeze({
  repository: '',
  auth: 'anonymous',
  username: '',
  password: '',
  remember: false,
  repoBasedTags: false,
  includeNonDistributableLayers: false,
});

export class Store {
  constructor(storage = safeLocalStorage()) {
    this.storage = storage;
    this.settings = { ...DEFAULT_SETTINGS, ...this.load() };
  }

  load() {
    if (!this.storage) return {};
    const out = {};
    try {
      const s = JSON.parse(this.storage.getItem(SETTINGS_KEY) || '{}');
      for (const key of ['repository', 'auth', 'repoBasedTags', 'includeNonDistributableLayers']) {
        if (key in s && typeof s[key] === typeof DEFAULT_SETTINGS[key]) out[key] = s[key];
      }
      const c = JSON.parse(this.storage.getItem(CREDENTIALS_KEY) || 'null');
      if (c && typeof c.username === 'string' && typeof c.password === 'string') {
        out.username = c.username;
        out.password = c.password;
        out.remember = true;
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
        }),
      );
      if (s.remember && s.auth === 'password') {
        this.storage.setItem(CREDENTIALS_KEY, JSON.stringify({ username: s.username, password: s.password }));
      } else {
        this.storage.removeItem(CREDENTIALS_KEY);
      }
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
