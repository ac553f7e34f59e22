/**
 * An S3 prefix (`s3://bucket/prefix`) as a Storage, with the AWS SDK for JavaScript v3. Endpoint, region and
 * credentials come from the standard AWS environment variables (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_S3,
 * AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE...), so MinIO, Ceph, R2 and GCS's S3
 * interoperability work as AWS does; with a custom endpoint, requests use path-style addressing. Failed requests
 * are retried by the SDK's standard retry strategy (exponential backoff with jitter, AWS_MAX_ATTEMPTS, default 5)
 * and then reported with their key. One PUT replaces an object whole, so writes are atomic.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { folderPrefix, type ObjectInfo, type Storage, StorageError } from './storage.js';

/** Requests to one endpoint share a client (its connection pool). */
let sharedClient: S3Client | null = null;

function client(): S3Client {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  sharedClient ??= new S3Client({
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: endpoint !== undefined,
    maxAttempts: Number(process.env.AWS_MAX_ATTEMPTS ?? 5),
    // Checksums only where S3 requires them: S3-compatible servers do not all accept the newer trailing ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return sharedClient;
}

/** `s3://bucket/prefix` -> bucket and prefix ('' or ending in '/'). */
export function parseS3Location(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(match[1]))
    throw new StorageError('bad_location', location, '', 'expected s3://bucket/prefix (a valid bucket name)');
  return { bucket: match[1], prefix: folderPrefix(match[2]) };
}

function isNotFound(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata?.httpStatusCode === 404;
}

export class S3Storage implements Storage {
  readonly writable = true;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(readonly location: string) {
    const { bucket, prefix } = parseS3Location(location);
    this.#bucket = bucket;
    this.#prefix = prefix;
  }

  localPath(): null {
    return null;
  }

  #fail(key: string, action: string, error: unknown): never {
    if (isNotFound(error)) throw new StorageError('not_found', this.location, key, 'no such object');
    const detail = error instanceof S3ServiceException ? `${error.name}: ${error.message}` : (error as Error).message;
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts;
    throw new StorageError(
      'io',
      this.location,
      key,
      `${action} failed${attempts ? ` after ${attempts} attempts` : ''} (${detail})`,
    );
  }

  async #get(key: string, range?: string): Promise<Uint8Array> {
    try {
      const response = await client().send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, Range: range }),
      );
      return await response.Body!.transformToByteArray();
    } catch (error) {
      return this.#fail(key, 'GET', error);
    }
  }

  read(key: string): Promise<Uint8Array> {
    return this.#get(key);
  }

  async readRange(key: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const bytes = await this.#get(key, `bytes=${start}-${end - 1}`);
    if (bytes.length !== end - start)
      throw new StorageError('io', this.location, key, `bytes ${start}..${end} requested, ${bytes.length} received`);
    return bytes;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const head = await client().send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
      return { key, size: head.ContentLength ?? 0, modifiedMs: head.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      return this.#fail(key, 'HEAD', error);
    }
  }

  async #pages(prefix: string, delimiter?: string): Promise<{ objects: ObjectInfo[]; folders: string[] }> {
    const objects: ObjectInfo[] = [];
    const folders: string[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await client().send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            Delimiter: delimiter,
            ContinuationToken: token,
          }),
        );
      } catch (error) {
        return this.#fail(prefix, 'LIST', error);
      }
      for (const item of page.Contents ?? []) {
        if (!item.Key) continue;
        objects.push({
          key: item.Key.slice(this.#prefix.length),
          size: item.Size ?? 0,
          modifiedMs: item.LastModified?.getTime() ?? 0,
        });
      }
      for (const common of page.CommonPrefixes ?? [])
        if (common.Prefix) folders.push(common.Prefix.slice(this.#prefix.length + prefix.length).replace(/\/$/, ''));
      token = page.NextContinuationToken;
    } while (token);
    return { objects, folders };
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { objects } = await this.#pages(folderPrefix(prefix));
    return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async folders(prefix: string): Promise<string[]> {
    return (await this.#pages(folderPrefix(prefix), '/')).folders.sort();
  }

  async write(key: string, data: Uint8Array | string): Promise<void> {
    try {
      await client().send(new PutObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key, Body: data }));
    } catch (error) {
      this.#fail(key, 'PUT', error);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await client().send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }));
    } catch (error) {
      if (!isNotFound(error)) this.#fail(key, 'DELETE', error);
    }
  }
}
