// Uses every function, class and field of the JS API (pkg/airlock.d.ts) with
// the types it declares. Type-checked by types.test.mjs with
// `tsc --noEmit --strict`; never run. The `@ts-expect-error` lines are
// misuse the declarations must reject (they fail if a type is `any`).

import init, {
  Archive,
  CopyJob,
  openArchive,
  probe,
  receipt,
  registryEndpoint,
  Sha256,
  type AirlockError,
  type ArchiveFormat,
  type ArchiveImageName,
  type BlobToVerify,
  type CopyOptions,
  type CopyPhase,
  type CopyProgress,
  type CopySummary,
  type GzippedLayer,
  type Endpoint,
  type ErrorCode,
  type ItemKind,
  type Plan,
  type PlanMapping,
  type PlanOptions,
  type PlanRow,
  type Problem,
  type ProbeFailure,
  type ProbeOptions,
  type ProbeResult,
  type ProbeStep,
  type ProbeStepName,
  type ReceiptOptions,
  type RegistryApiError,
  type ThinBlob,
  type ThinInfo,
  type ThinMissingBlob,
  type Tree,
  type TreeBundle,
  type TreeLayer,
  type TreeNode,
} from '../../../pkg/airlock.js';

const seen: unknown[] = [];
const use = (...values: unknown[]): void => {
  seen.push(...values);
};

function useProblem(p: Problem): void {
  const subject: string = p.subject;
  const message: string = p.message;
  use(subject, message);
}

function useTree(tree: Tree): void {
  const top: number[] = tree.top;
  const root: number | null = tree.root;
  const count: number = tree.blob_count;
  const bytes: number = tree.blob_bytes;
  tree.problems.forEach(useProblem);
  for (const n of tree.nodes) {
    const node: TreeNode = n;
    const kind: 'bundle' | 'image' | 'index' | 'signature' = node.kind;
    const id: number = node.id;
    const digest: string = node.digest;
    const source: string = node.source;
    const tag: string = node.tag;
    const mediaType: string = node.media_type;
    const isRoot: boolean = node.root;
    const size: number = node.size;
    const platform: string | null = node.platform;
    const configMediaType: string | null = node.config_media_type;
    const configDigest: string | null = node.config_digest;
    const configSize: number | null = node.config_size;
    const children: number[] = node.children;
    for (const l of node.layers) {
      const layer: TreeLayer = l;
      const present: boolean = layer.present;
      const nonDistributable: boolean = layer.non_distributable;
      use(layer.digest.length, layer.media_type.length, layer.size + 0, present, nonDistributable);
    }
    use(kind, id, digest, source, tag, mediaType, isRoot, size, platform, configMediaType, configDigest, configSize, children);
  }
  for (const b of tree.bundles) {
    const bundle: TreeBundle = b;
    const node: number = bundle.node;
    const digest: string = bundle.digest;
    for (const f of bundle.files) use(f.path.length, f.size + f.mode);
    for (const i of bundle.images) {
      const imageNode: number | null = i.node;
      use(i.image.length, i.digest.length, imageNode);
    }
    use(node, digest);
  }
  use(top, root, count, bytes);
}

function usePlan(plan: Plan): void {
  const repository: string = plan.repository;
  const lock: string | null = plan.lock;
  const lockError: string | null = plan.lockError;
  const imagesYml: Record<string, string> = plan.imagesYml;
  const kbld: Record<string, string> = plan.kbld;
  const packageRepositories: Record<string, string> = plan.packageRepositories;
  const warnings: string[] = plan.warnings;
  const repositories: string[] = plan.repositories;
  for (const m of plan.mappings) {
    const mapping: PlanMapping = m;
    use(mapping.source.length, mapping.destination.length, mapping.digest.length);
  }
  use(repositories);
  for (const r of plan.images) {
    const row: PlanRow = r;
    const kind: ItemKind = row.kind;
    use(kind, row.source.length, row.destination.length, row.tags.join(' '));
  }
  use(repository, lock, lockError, imagesYml, kbld, packageRepositories, warnings);
}

function useProgress(p: CopyProgress): void {
  const phase: CopyPhase = p.phase;
  const numbers: number[] = [
    p.bytesTotal, p.bytesDone, p.bytesSent, p.blobsTotal, p.blobsDone, p.blobsSkipped,
    p.blobsMounted, p.itemsTotal, p.itemsDone, p.itemsSkipped, p.manifestsDone,
  ];
  for (const a of p.active) use(a.digest.length, a.size + a.done);
  use(phase, numbers);
}

function useSummary(s: CopySummary): void {
  const repository: string = s.repository;
  const rootReference: string | null = s.rootReference;
  const repositories: string[] = s.repositories;
  use(repositories);
  const thinCheck: string | null = s.thinCheck;
  use(thinCheck);
  const numbers: number[] = [
    s.blobsUploaded, s.bytesUploaded, s.blobsSkipped, s.blobsMounted, s.manifestsPut,
    s.manifestsSkipped, s.tagsPut, s.tagsSkipped, s.itemsPushed, s.requests, s.retries,
  ];
  use(repository, rootReference, numbers);
}

function useThin(t: ThinInfo | null): void {
  if (!t) return;
  const entry: string = t.entry;
  const numbers: number[] = [t.count, t.bytes];
  const texts: string[] = [t.inspectText, t.verifyNote];
  for (const p of t.promises) {
    const kind: 'receipt' | 'tar' = p.kind;
    const registry: string | null = p.registry;
    const createdAt: string | null = p.createdAt;
    use(kind, p.file.length, registry, createdAt);
  }
  for (const b of t.blobs) {
    const blob: ThinBlob = b;
    const repositories: string[] = blob.repositories;
    use(blob.digest.length, blob.size + 0, blob.mediaType.length, blob.images.join(' '), blob.promisedBy.length, repositories);
  }
  use(entry, numbers, texts);
}

function useEndpoint(e: Endpoint): void {
  const base: string = e.base;
  const registry: string = e.registry;
  const path: string = e.path;
  const name: string = e.name;
  const sameOrigin: boolean = e.sameOrigin;
  use(base, registry, path, name, sameOrigin);
}

function useProbe(r: ProbeResult): void {
  const ok: boolean = r.ok;
  const scheme: 'none' | 'basic' | 'bearer' | null = r.scheme;
  const challenge: string | null = r.challenge;
  const flags: boolean[] = [r.credentialsGiven, r.credentialsSent, r.uploadCancelled];
  useEndpoint(r.endpoint);
  for (const s of r.steps) {
    const step: ProbeStep = s;
    const name: ProbeStepName = step.step;
    const stepOk: boolean = step.ok;
    const url: string = step.url;
    const status: number | null = step.status;
    const failure: ProbeFailure | null = step.failure;
    const code: ErrorCode | null = step.code;
    const body: string = step.body;
    const message: string = step.message;
    for (const e of step.errors) {
      const entry: RegistryApiError = e;
      const detail: unknown = entry.detail;
      use(entry.code.length, entry.message.length, detail);
    }
    use(name, stepOk, url, status, failure, code, body, message);
  }
  use(ok, scheme, challenge, flags);
}

function useError(e: unknown): void {
  const err = e as AirlockError;
  const code: ErrorCode = err.code;
  const name: 'AirlockError' = err.name;
  for (const m of err.missing || []) {
    const missing: ThinMissingBlob = m;
    use(missing.digest.length, missing.size + 0, missing.images.join(' '), missing.promisedBy.length, missing.line.length);
  }
  use(code, name, err.message);
}

export async function consume(file: Blob): Promise<void> {
  await init();
  try {
    const archive: Archive = await openArchive(file);
    const size: number = archive.size;
    const format: ArchiveFormat = archive.format;
    const formatName: string = archive.formatName;
    for (const i of archive.images()) {
      const image: ArchiveImageName = i;
      const name: string | null = image.name;
      const tag: string | null = image.tag;
      use(name, tag, image.digest.length, image.label.length, image.node + 0);
    }
    use(format, formatName);
    useTree(archive.tree());
    useThin(archive.thin());
    const text: string = archive.bundleFile('sha256:00', '.imgpkg/images.yml');
    await archive.compressLayers();
    const gzipped: GzippedLayer[] | null = archive.gzippedLayers();
    if (gzipped) {
      for (const l of gzipped) use(l.diffId.length, l.digest.length, l.size + 0);
      archive.useGzippedLayers(gzipped);
    }
    // @ts-expect-error: a gzipped layer's size is a number
    archive.useGzippedLayers([{ diffId: 'sha256:00', digest: 'sha256:00', size: '1' }]);
    archive.verifyStructure().forEach(useProblem);
    const blobs: BlobToVerify[] = archive.blobsToVerify();
    for (const b of blobs) {
      const numbers: number[] = [b.offset, b.size, b.expectedSize];
      const hasher = new Sha256();
      hasher.update(new Uint8Array(4));
      const hashed: number = hasher.length;
      const digest: string = hasher.finish();
      const problem: Problem | null = archive.checkDigest(b.name, digest, hashed);
      if (problem) useProblem(problem);
      useProblem(archive.readProblem(b.name, 'short read'));
      use(b.name, b.digest, numbers);
    }
    const planOptions: PlanOptions = { repository: '127.0.0.1:5000/dst/app', repoBasedTags: true, includeNonDistributableLayers: false };
    usePlan(archive.plan(planOptions));
    usePlan(archive.plan({ repository: '127.0.0.1:5000/mirror', toRepoPrefix: true }));
    const copyOptions: CopyOptions = {
      ...planOptions,
      username: 'u',
      password: 'p',
      concurrency: 6,
      uploadWith: 'fetch',
      onProgress: useProgress,
    };
    const job: CopyJob = archive.copy(copyOptions);
    job.cancel();
    useSummary(await job.done);
    archive.free();
    use(size, text);

    useEndpoint(registryEndpoint('127.0.0.1:5000/dst/app', 'http://127.0.0.1:8080'));
    const probeOptions: ProbeOptions = { repository: '127.0.0.1:5000/dst/app', username: 'u', password: 'p' };
    useProbe(await probe(probeOptions));
    useProbe(await probe({ repository: '127.0.0.1:5000/dst/app' }));
    const receiptOptions: ReceiptOptions = { repository: '127.0.0.1:5000/dst/app', username: 'u', password: 'p', concurrency: 4 };
    const receiptJson: string = await receipt(receiptOptions);
    use(receiptJson.length);
  } catch (e) {
    useError(e);
  }

  // Misuse the declarations must reject.
  // @ts-expect-error plan() needs a repository
  archive0().plan({ repoBasedTags: true });
  // @ts-expect-error probe() takes an options object, not a string
  await probe('127.0.0.1:5000/dst/app');
  // @ts-expect-error a copy summary's counts are numbers
  const wrongCount: string = (await archive0().copy({ repository: 'r/x' }).done).blobsUploaded;
  // @ts-expect-error a step's status may be null
  const wrongStatus: number = (await probe({ repository: 'r/x' })).steps[0].status;
  // @ts-expect-error 'maybe' is not a probe failure
  const wrongFailure: ProbeFailure = 'maybe';
  // @ts-expect-error tree node kinds are a closed set
  const wrongKind: TreeNode['kind'] = 'layer';
  // @ts-expect-error checkDigest() may return null
  const wrongProblem: Problem = archive0().checkDigest('x', 'sha256:00', 0);
  // @ts-expect-error onProgress receives progress, not a string
  archive0().copy({ repository: 'r/x', onProgress: (p: string) => use(p) });
  // @ts-expect-error formats are a closed set
  const wrongFormat: ArchiveFormat = 'docker';
  // @ts-expect-error an image's name may be null
  const wrongName: string = archive0().images()[0].name;
  use(wrongFormat, wrongName);
  // @ts-expect-error endpoint fields are typed
  const wrongSameOrigin: string = registryEndpoint('r/x', 'http://h').sameOrigin;
  // @ts-expect-error receipt() needs a repository
  await receipt({ username: 'u' });
  // @ts-expect-error a thin tar's count is a number
  const wrongThin: string = archive0().thin()!.count;
  use(wrongThin);
  use(wrongCount, wrongStatus, wrongFailure, wrongKind, wrongProblem, wrongSameOrigin);
}

declare function archive0(): Archive;
