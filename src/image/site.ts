/**
 * Site loading: the channel PNGs of one imaging site decoded straight into a channel-major 6 x 512 x 512
 * uint8 tensor (w1 at offset 0, w2 at 512*512, ...). The same pixels as rxrx1-utils `rxrx.io.load_site`,
 * which stacks the channels last instead (`np.stack([...], axis=2)`).
 */
import { ALL_CHANNELS, CHANNEL_COUNT, checkChannels, SITE_SIZE, siteId } from '../rxrx1/index.js';
import { channelPath, type SiteRecord } from '../data/site.js';
import { decodeGray8 } from '../codec/png.js';
import { joinKey, openStorage, type Storage, StorageError } from '../storage/index.js';

/** What locates a site's files; a full SiteRecord also fits. */
export type SiteLocation = Pick<SiteRecord, 'dataset' | 'experiment' | 'plate' | 'well' | 'site'>;

/** Pixels in one channel plane (512 x 512). */
export const PLANE_SIZE = SITE_SIZE * SITE_SIZE;
/** Bytes in a site tensor (6 x 512 x 512). */
export const SITE_TENSOR_SIZE = CHANNEL_COUNT * PLANE_SIZE;

export interface LoadSiteOptions {
  /** Tensor to fill (SITE_TENSOR_SIZE bytes), e.g. reused across sites; a new one by default. */
  out?: Uint8Array;
  /**
   * 1-based channels to read (default all six). The tensor keeps its 6-plane layout; planes not read are
   * zero-filled. This is how an incomplete site (RxRx1 site 2 of the reference wells has only w1..w4) loads.
   */
  channels?: readonly number[];
}

export interface SiteLoadProblem {
  file: string;
  reason: string;
}

/** A site could not be loaded; lists every failing file with what is wrong with it. */
export class SiteLoadError extends Error {
  override name = 'SiteLoadError';

  constructor(
    readonly siteId: string,
    readonly problems: readonly SiteLoadProblem[],
  ) {
    super(`site ${siteId}: ${problems.map((p) => `${p.file}: ${p.reason}`).join('; ')}`);
  }
}

function describe(error: unknown): string {
  if (error instanceof StorageError) return error.code === 'not_found' ? 'missing file' : error.message;
  return (error as Error).message;
}

/**
 * Loads one site into a channel-major uint8 tensor, decoding each PNG in place (no per-channel copies). The images
 * are read through a Storage (`imageRoot` is its location: a folder, an s3:// prefix, a folder in a zip archive;
 * src/storage), the channels concurrently. Rejects with SiteLoadError naming the site id and every missing,
 * unreadable, wrongly sized, non-8-bit-gray or corrupt file. The third argument is either the output tensor or
 * the options.
 */
export async function loadSite(
  imageRoot: string | Storage,
  site: SiteLocation,
  outOrOptions?: Uint8Array | LoadSiteOptions,
): Promise<Uint8Array> {
  const storage = typeof imageRoot === 'string' ? openStorage(imageRoot) : imageRoot;
  const options: LoadSiteOptions = outOrOptions instanceof Uint8Array ? { out: outOrOptions } : (outOrOptions ?? {});
  const channels = options.channels ?? ALL_CHANNELS;
  checkChannels(channels);
  const tensor = options.out ?? new Uint8Array(SITE_TENSOR_SIZE);
  if (tensor.length !== SITE_TENSOR_SIZE)
    throw new Error(
      `loadSite: output tensor holds ${tensor.length} bytes, expected ${SITE_TENSOR_SIZE} (6 x ${SITE_SIZE} x ` +
        `${SITE_SIZE})`,
    );
  const problems: SiteLoadProblem[] = [];
  const reads = Array.from({ length: CHANNEL_COUNT }, (_, c) =>
    channels.includes(c + 1) ? storage.read(channelPath(site, c + 1)).catch((error: unknown) => error as Error) : null,
  );
  for (let channel = 1; channel <= CHANNEL_COUNT; channel++) {
    const offset = (channel - 1) * PLANE_SIZE;
    const read = reads[channel - 1];
    if (read === null) {
      tensor.fill(0, offset, offset + PLANE_SIZE);
      continue;
    }
    const file = joinKey(storage.location, channelPath(site, channel));
    try {
      const bytes = await read;
      if (bytes instanceof Error) throw bytes;
      decodeGray8(bytes, { width: SITE_SIZE, height: SITE_SIZE }, tensor, offset);
    } catch (error) {
      // Keep going: one error listing every bad file saves a fix-and-rerun cycle per file.
      problems.push({ file, reason: describe(error) });
    }
  }
  if (problems.length > 0) throw new SiteLoadError(siteId(site.experiment, site.plate, site.well, site.site), problems);
  return tensor;
}
