/** Dataset, wells, sites, site images and plate maps. */
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CHANNELS } from '../../rxrx1/index.js';
import type { DatasetInfo, PlateValues, SiteInfo, WellRecord } from '../../api/types.js';
import type { DatasetCatalog } from '../dataset.js';
import { HttpError, parseRequest } from '../errors.js';
import type { ImageService, RenderedImage } from '../images.js';
import type { RunsService } from '../runs.js';
import {
  channelParams,
  channelQuery,
  compositeQuery,
  METADATA_FIELDS,
  plateParams,
  plateValuesQuery,
  siteParams,
  wellsQuery,
  type MetadataField,
} from '../../api/schemas.js';

/** Caches may keep an image a day, then revalidate with its ETag (the files rarely change). */
export const IMAGE_CACHE_CONTROL = 'public, max-age=86400';

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((tag) => {
    const trimmed = tag.trim();
    return trimmed === '*' || trimmed.replace(/^W\//, '') === etag;
  });
}

async function sendImage(
  request: FastifyRequest,
  reply: FastifyReply,
  etag: string,
  render: () => Promise<RenderedImage>,
): Promise<FastifyReply> {
  reply.header('etag', etag).header('cache-control', IMAGE_CACHE_CONTROL).header('vary', 'accept-encoding');
  if (matchesEtag(request, etag)) return reply.code(304).send();
  const { png } = await render();
  return reply.type('image/png').send(png);
}

function metadataValue(well: WellRecord, field: MetadataField): string | number | null {
  switch (field) {
    case 'well_type':
      return well.wellType;
    case 'sirna_group':
      return well.sirnaGroup;
    case 'sirna_id':
      return well.sirnaId;
    case 'sirna':
      return well.sirna;
    case 'cell_type':
      return well.cellType;
    case 'dataset':
      return well.dataset;
  }
}

export function dataRoutes(
  app: FastifyInstance,
  catalog: DatasetCatalog,
  images: ImageService,
  runs: RunsService,
): void {
  app.get(
    '/api/dataset',
    async (): Promise<DatasetInfo> => ({
      name: path.basename(catalog.layout.root),
      layout: catalog.layout.kind,
      sites: catalog.sites.length,
      wells: catalog.wells.length,
      experiments: [...catalog.experiments],
    }),
  );

  app.get('/api/wells', async (request, reply) => {
    const query = parseRequest(wellsQuery, request.query, 'query');
    const wells = catalog.queryWells(query);
    reply.header('x-total-count', String(wells.length));
    const offset = query.offset ?? 0;
    return query.limit !== undefined || offset > 0
      ? wells.slice(offset, query.limit !== undefined ? offset + query.limit : undefined)
      : wells;
  });

  const findSite = (params: unknown) => {
    const { siteId } = parseRequest(siteParams, params, 'params');
    const site = catalog.site(siteId);
    if (!site) throw new HttpError(404, `site "${siteId}" is not in the dataset`);
    return site;
  };

  app.get('/api/sites/:siteId', async (request): Promise<SiteInfo> => {
    const site = findSite(request.params);
    const present = await images.presentChannels(site);
    const stats = await images.stats(site, present);
    return {
      ...site,
      channels: CHANNELS.map((channel) => ({
        channel: channel.index,
        stain: channel.stain,
        target: channel.target,
        present: present.includes(channel.index),
        stats: stats.find((s) => s.channel === channel.index) ?? null,
      })),
    };
  });

  app.get('/api/sites/:siteId/composite.png', async (request, reply) => {
    const site = findSite(request.params);
    const query = parseRequest(compositeQuery, request.query, 'query');
    // Default: the six channels as `phenomap rgb` draws them; an incomplete site draws the channels it has.
    const channels = query.channels ?? (await images.presentChannels(site));
    if (channels.length === 0) throw new HttpError(404, `site ${site.siteId}: no image files`);
    const request_ = {
      channels,
      ranges: query.ranges,
      percentiles: query.percentiles,
      colors: query.colors,
      size: query.size,
    };
    const etag = await images.compositeTag(site, request_);
    return sendImage(request, reply, etag, () => images.composite(site, request_, etag));
  });

  app.get('/api/sites/:siteId/channels/:file', async (request, reply) => {
    const { file: channel } = parseRequest(channelParams, request.params, 'params');
    const site = findSite({ siteId: (request.params as { siteId: string }).siteId });
    const query = parseRequest(channelQuery, request.query, 'query');
    const request_ = { channel, size: query.size, percentiles: query.percentiles };
    const etag = await images.channelTag(site, request_);
    return sendImage(request, reply, etag, () => images.channel(site, request_, etag));
  });

  app.get('/api/plates/:experiment/:plate/values', async (request): Promise<PlateValues> => {
    const { experiment, plate } = parseRequest(plateParams, request.params, 'params');
    const { field, run } = parseRequest(plateValuesQuery, request.query, 'query');
    const wells = catalog.plateWells(experiment, plate);
    if (!wells) throw new HttpError(404, `plate ${experiment} plate ${plate} is not in the dataset`);
    if ((METADATA_FIELDS as readonly string[]).includes(field)) {
      const name = field as MetadataField;
      return { field, values: wells.map((well) => ({ well: well.well, value: metadataValue(well, name) })) };
    }
    if (!run)
      throw new HttpError(
        400,
        `query.run: required for field "${field}" (not a metadata field: ${METADATA_FIELDS.join(', ')}); give ` +
          `the run whose profiles hold it`,
      );
    return { field, run, values: runs.plateValues(run, experiment, plate, field) };
  });
}
