//! The TypeScript shapes of the JS API, written into `pkg/airlock.d.ts`.
//!
//! The functions and methods name these with `unchecked_param_type` /
//! `unchecked_return_type`; the values themselves are built with serde in
//! the modules that return them. `tests/e2e/types/consumer.ts` uses every
//! shape under `tsc --strict`, so a declaration that drifts from the code
//! shows up there (and in the e2e tests that read the same fields).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The stable `code` of every Error the API throws (`err.code`). */
export type ErrorCode =
  | "E_NOT_TAR" | "E_FORMAT" | "E_VERIFY" | "E_ARGUMENT" | "E_AUTH" | "E_CORS"
  | "E_NETWORK" | "E_REGISTRY" | "E_THIN" | "E_CANCELLED" | "E_READ" | "E_INTERNAL";

/** What the API throws (and what `CopyJob.done` rejects with). */
export interface AirlockError extends Error {
  name: "AirlockError";
  code: ErrorCode;
  /** `E_THIN` from the thin import check: each omitted layer not found. */
  missing?: ThinMissingBlob[];
}

/** One omitted layer a thin import did not find in the registry. */
export interface ThinMissingBlob {
  digest: string;
  size: number;
  /** `Refs[0]` of every image that needs it. */
  images: string[];
  /** `receipt FILE` or `tar FILE`. */
  promisedBy: string;
  /** The line `airlock copy --tar` lists it with. */
  line: string;
}

/** `archive.thin()`: what a thin tar left out (`airlock-omitted-blobs.json`). */
export interface ThinInfo {
  /** The entry's name, `airlock-omitted-blobs.json`. */
  entry: string;
  /** Layers left out, and their bytes. */
  count: number;
  bytes: number;
  promises: { kind: "receipt" | "tar"; file: string; registry: string | null; createdAt: string | null }[];
  blobs: ThinBlob[];
  /** What `airlock inspect` prints about them. */
  inspectText: string;
  /** The line `airlock verify` adds after "all … blobs verified". */
  verifyNote: string;
}

export interface ThinBlob {
  digest: string;
  size: number;
  mediaType: string;
  images: string[];
  promisedBy: string;
  /** Where the receipt saw it (repository paths of its registry). */
  repositories: string[];
}

/** Options of `receipt()`. */
export interface ReceiptOptions {
  repository: string;
  username?: string;
  password?: string;
  /** Manifests fetched at once (1–32, default 8). */
  concurrency?: number;
}

/** A problem found in a tarball; `subject` names the file, entry or reference. */
export interface Problem {
  subject: string;
  message: string;
}

/** `registryEndpoint()`: where the page sends a repository's requests. */
export interface Endpoint {
  /** `scheme://host[:port]`, no trailing slash. */
  base: string;
  /** `host[:port]` as in the reference. */
  registry: string;
  /** The repository path, e.g. `team/app`. */
  path: string;
  /** `registry/path`. */
  name: string;
  /** Whether `base` is the page's own origin. */
  sameOrigin: boolean;
}

/** `archive.format`: what the tar is (the CLI's detection). */
export type ArchiveFormat = "imgpkg" | "oci-layout" | "docker-archive";

/** `archive.images()`: a top-level image of an OCI layout or docker-archive. */
export interface ArchiveImageName {
  /** The normalised reference the archive gives it, or `null`. */
  name: string | null;
  /** Its tag (also for a bare-tag name such as `1.27`), or `null`. */
  tag: string | null;
  /** The manifest or index digest. */
  digest: string;
  /** As `airlock inspect` prints it: the name, `(tag 1.27)` or `(unnamed)`. */
  label: string;
  /** Its node in `archive.tree().nodes`. */
  node: number;
}

/** `archive.tree()`: the same JSON `airlock inspect --json` prints. */
export interface Tree {
  nodes: TreeNode[];
  /** Top-level node ids, the root bundle first. */
  top: number[];
  root: number | null;
  bundles: TreeBundle[];
  problems: Problem[];
  blob_count: number;
  blob_bytes: number;
}

export interface TreeNode {
  id: number;
  kind: "bundle" | "image" | "index" | "signature";
  digest: string;
  source: string;
  tag: string;
  media_type: string;
  root: boolean;
  size: number;
  platform: string | null;
  config_media_type: string | null;
  config_digest: string | null;
  config_size: number | null;
  layers: TreeLayer[];
  /** Index children, or the images a bundle names. */
  children: number[];
}

export interface TreeLayer {
  digest: string;
  media_type: string;
  size: number;
  present: boolean;
  non_distributable: boolean;
}

export interface TreeBundle {
  node: number;
  digest: string;
  files: { path: string; size: number; mode: number }[];
  images: { image: string; digest: string; node: number | null }[];
}

/** `archive.blobsToVerify()`: a layer entry the verify workers hash. */
export interface BlobToVerify {
  /** The tar entry, `sha256-<hex>.tar.gz`. */
  name: string;
  offset: number;
  /** Bytes stored in the tar. */
  size: number;
  /** Bytes the descriptors claim. */
  expectedSize: number;
  digest: string;
}

/** A docker-archive layer's gzip form (`gzippedLayers()`, `useGzippedLayers()`). */
export interface GzippedLayer {
  /** The layer tar's sha256 (its diff ID). */
  diffId: string;
  /** sha256 of the gzip stream. */
  digest: string;
  /** Bytes of the gzip stream. */
  size: number;
}

/** Options of `archive.plan()` (imgpkg's `--to-repo` flags). */
export interface PlanOptions {
  /** The repository, or with `toRepoPrefix` the destination prefix. */
  repository: string;
  /**
   * `repository` is a prefix (`--to-repo-prefix`): each image of an OCI
   * layout or docker-archive lands at `<prefix>/<its repository path>:<tag>`.
   * Refused (`E_ARGUMENT`) for imgpkg tars.
   */
  toRepoPrefix?: boolean;
  /** docker-archives: `'tar'` (default) or `'gzip'` (`--docker-layers gzip`; after `compressLayers()` for `plan()`). */
  dockerLayers?: 'tar' | 'gzip';
  repoBasedTags?: boolean;
  includeNonDistributableLayers?: boolean;
}

export type ItemKind = "bundle" | "image" | "index" | "index-child" | "locations" | "signature";

export interface PlanRow {
  kind: ItemKind;
  source: string;
  destination: string;
  tags: string[];
}

/** Where one image of an OCI layout or docker-archive lands. */
export interface PlanMapping {
  /** The archive's name for it, or where it is in the archive. */
  source: string;
  /** `REPO:tag`, or `REPO@digest` for an untagged image. */
  destination: string;
  digest: string;
}

/** `archive.plan()`: the preview. Maps are keyed by bundle digest. */
export interface Plan {
  /** The repository (or the prefix, with `toRepoPrefix`). */
  repository: string;
  /** Every destination repository, in push order (one plan each). */
  repositories: string[];
  /** OCI layouts and docker-archives: every image's mapping (else empty). */
  mappings: PlanMapping[];
  /** The media types of the layers pushed (OCI layouts, docker-archives). */
  layerMediaTypes: string[];
  images: PlanRow[];
  /** The `--lock-output` document, or `null` with `lockError`. */
  lock: string | null;
  lockError: string | null;
  imagesYml: Record<string, string>;
  kbld: Record<string, string>;
  packageRepositories: Record<string, string>;
  warnings: string[];
}

/** Options of `archive.copy()`. */
export interface CopyOptions extends PlanOptions {
  username?: string;
  password?: string;
  /** Requests in flight (1–32, default 6). */
  concurrency?: number;
  /** `"fetch"`: upload blobs with fetch (no upload progress) instead of XHR. */
  uploadWith?: "xhr" | "fetch";
  /**
   * How long a request may wait for its response headers once its body is
   * sent, in ms (the CLI's `--registry-response-header-timeout`; default
   * 30000, 0 waits for ever). A request past it is aborted and retried as
   * after a network error. Not applied to blobs over 256 KiB sent with
   * `uploadWith: "fetch"` (no progress tells a slow link from a dead one).
   */
  responseHeaderTimeoutMs?: number;
  /**
   * Upload blobs larger than this many bytes in `PATCH` chunks of this size
   * (raised to the registry's `OCI-Chunk-Min-Length`). 0 or absent: one
   * request per blob, in chunks only after a 413 (halving from 64 MiB; the
   * size that passes is kept for the rest of the push).
   */
  uploadChunkSize?: number;
  onProgress?: (progress: CopyProgress) => void;
}

export type CopyPhase = "thin-check" | "checking" | "uploading" | "verifying" | "locations" | "tags" | "done";

/** What `onProgress` receives (at most every 50 ms, and once at the end). */
export interface CopyProgress {
  phase: CopyPhase;
  bytesTotal: number;
  /** Bytes uploaded plus the sizes of blobs found already present. */
  bytesDone: number;
  /** Bytes actually sent (for the rate). */
  bytesSent: number;
  blobsTotal: number;
  blobsDone: number;
  blobsSkipped: number;
  blobsMounted: number;
  itemsTotal: number;
  itemsDone: number;
  itemsSkipped: number;
  manifestsDone: number;
  /** Blobs uploading now. */
  active: { digest: string; size: number; done: number }[];
}

/** What `CopyJob.done` resolves to. */
export interface CopySummary {
  /** The repository (or the prefix, with `toRepoPrefix`). */
  repository: string;
  /** Every repository pushed to, in order. */
  repositories: string[];
  /** A thin tar's import check, as `airlock copy --tar` prints it; `null` for a full tar. */
  thinCheck: string | null;
  rootReference: string | null;
  blobsUploaded: number;
  bytesUploaded: number;
  blobsSkipped: number;
  blobsMounted: number;
  manifestsPut: number;
  manifestsSkipped: number;
  tagsPut: number;
  tagsSkipped: number;
  itemsPushed: number;
  requests: number;
  retries: number;
  /** How chunked uploads went (`uploads: 2 blobs in chunks of 8.0 MiB (…)`), or null when every blob went in one request. */
  uploadNote: string | null;
  /** Times a chunked upload continued where its session stood after a failure. */
  uploadResumes: number;
  /** Requests in flight on average over the push (how well the push kept the browser's connections busy), and at most. */
  meanInFlight: number;
  maxInFlight: number;
}

/** Options of `probe()`. */
export interface ProbeOptions {
  repository: string;
  username?: string;
  password?: string;
}

export type ProbeStepName = "ping" | "token" | "login" | "upload";

export type ProbeFailure =
  | "unreachable" | "cors" | "preflight" | "not-found" | "status" | "denied"
  | "challenge-hidden" | "unsupported-scheme" | "login-required" | "invalid-realm"
  | "bad-token" | "no-location";

/** One entry of a registry's error envelope. */
export interface RegistryApiError {
  code: string;
  message: string;
  detail: unknown;
}

export interface ProbeStep {
  step: ProbeStepName;
  ok: boolean;
  /** Where the request went (token: the realm, without the query). */
  url: string;
  status: number | null;
  failure: ProbeFailure | null;
  code: ErrorCode | null;
  /** The registry's error envelope, when it sent one. */
  errors: RegistryApiError[];
  /** The start of a non-envelope error body. */
  body: string;
  /** The core's error message (never credentials). */
  message: string;
}

/** `probe()`: the steps run, the last one failed unless `ok`. */
export interface ProbeResult {
  ok: boolean;
  endpoint: Endpoint;
  /** What `/v2/` asked for; `null` when it did not answer. */
  scheme: "none" | "basic" | "bearer" | null;
  /** The raw `WWW-Authenticate` of `/v2/`. */
  challenge: string | null;
  credentialsGiven: boolean;
  credentialsSent: boolean;
  /** The test upload session was cancelled (otherwise it expires). */
  uploadCancelled: boolean;
  steps: ProbeStep[];
}
"#;
