/**
 * The dataset as the server sees it: every site of the site index held in memory (125,510 for the full
 * RxRx1), grouped into wells and experiments, with each treatment well's siRNA group. Requests only ever
 * reach image files through a SiteRecord found here by a validated id, never through a raw request string.
 */
import { detectLayout, type DatasetLayout } from '../data/layout.js';
import { ensureSiteIndex, querySiteIndex } from '../data/siteIndex.js';
import { wellPosition } from '../rxrx1/index.js';
import { loadRxrx1Structure } from '../data/rxrx1Structure.js';
import type { SiteRecord } from '../data/site.js';
import type { WellFilter } from '../api/schemas.js';
import type { ExperimentRecord, WellRecord } from '../api/types.js';

interface Groups {
  ofSirna: Map<number, number>;
  ofPlate: Map<string, number[]>;
}

function rxrx1Groups(): Groups | null {
  try {
    const structure = loadRxrx1Structure();
    const ofSirna = new Map<number, number>();
    structure.groups.forEach((group, g) => {
      for (const id of group) ofSirna.set(id, g);
    });
    return { ofSirna, ofPlate: new Map(structure.experiments.map((e) => [e.name, e.plateGroups])) };
  } catch {
    return null;
  }
}

export class DatasetCatalog {
  readonly sites: readonly SiteRecord[];
  readonly wells: readonly WellRecord[];
  readonly experiments: readonly ExperimentRecord[];
  readonly #siteById: Map<string, SiteRecord>;
  readonly #wellsByPlate: Map<string, WellRecord[]>;

  private constructor(
    readonly layout: DatasetLayout,
    readonly indexFile: string,
    sites: SiteRecord[],
  ) {
    this.sites = sites;
    this.#siteById = new Map(sites.map((site) => [site.siteId, site]));
    const wells = new Map<string, WellRecord>();
    for (const site of sites) {
      let well = wells.get(site.wellId);
      if (!well) {
        const position = wellPosition(site.well)!;
        well = {
          wellId: site.wellId,
          experiment: site.experiment,
          plate: site.plate,
          well: site.well,
          row: position.row,
          column: position.column,
          cellType: site.cellType,
          dataset: site.dataset,
          wellType: site.wellType,
          sirnaId: site.sirnaId,
          sirna: site.sirna,
          sirnaGroup: null,
          sites: [],
        };
        wells.set(site.wellId, well);
      }
      well.sites.push(site.site);
    }
    this.wells = [...wells.values()];
    this.#wellsByPlate = new Map();
    for (const well of this.wells) {
      const key = `${well.experiment}\u0000${well.plate}`;
      let list = this.#wellsByPlate.get(key);
      if (!list) {
        list = [];
        this.#wellsByPlate.set(key, list);
      }
      list.push(well);
    }
    this.#assignGroups(rxrx1Groups());
    const experiments = new Map<string, ExperimentRecord>();
    for (const well of this.wells) {
      let record = experiments.get(well.experiment);
      if (!record) {
        record = { experiment: well.experiment, cellType: well.cellType, dataset: well.dataset, plates: [] };
        experiments.set(well.experiment, record);
      }
      if (!record.plates.includes(well.plate)) record.plates.push(well.plate);
    }
    for (const record of experiments.values()) record.plates.sort((a, b) => a - b);
    this.experiments = [...experiments.values()].sort((a, b) =>
      a.experiment < b.experiment ? -1 : a.experiment > b.experiment ? 1 : 0,
    );
  }

  /** Detects the layout, builds or reuses the site index, and loads every site. */
  static async open(datasetDir: string, options: { indexFile?: string } = {}): Promise<DatasetCatalog> {
    const layout = await detectLayout(datasetDir);
    const { file } = await ensureSiteIndex(layout, { file: options.indexFile });
    return new DatasetCatalog(layout, file, await querySiteIndex(file));
  }

  #assignGroups(groups: Groups | null): void {
    if (!groups) return;
    for (const [, wells] of this.#wellsByPlate) {
      const votes = [0, 0, 0, 0];
      for (const well of wells) {
        const group =
          well.wellType === 'treatment' && well.sirnaId !== null ? groups.ofSirna.get(well.sirnaId) : undefined;
        if (group !== undefined) votes[group]++;
      }
      const top = votes.indexOf(Math.max(...votes));
      const first = wells[0];
      const plateGroup = votes[top] > 0 ? top : (groups.ofPlate.get(first.experiment)?.[first.plate - 1] ?? null);
      for (const well of wells) {
        if (well.wellType !== 'treatment') continue;
        well.sirnaGroup = (well.sirnaId !== null ? groups.ofSirna.get(well.sirnaId) : undefined) ?? plateGroup;
      }
    }
  }

  site(id: string): SiteRecord | undefined {
    return this.#siteById.get(id);
  }

  plateWells(experiment: string, plate: number): WellRecord[] | undefined {
    return this.#wellsByPlate.get(`${experiment}\u0000${plate}`);
  }

  queryWells(filter: WellFilter): WellRecord[] {
    const sets = {
      experiment: filter.experiment && new Set(filter.experiment),
      plate: filter.plate && new Set(filter.plate),
      cellType: filter.cellType && new Set(filter.cellType),
      wellType: filter.wellType && new Set<string>(filter.wellType),
      sirnaId: filter.sirnaId && new Set(filter.sirnaId),
      dataset: filter.dataset && new Set<string>(filter.dataset),
    };
    return this.wells.filter(
      (w) =>
        (!sets.experiment || sets.experiment.has(w.experiment)) &&
        (!sets.plate || sets.plate.has(w.plate)) &&
        (!sets.cellType || sets.cellType.has(w.cellType)) &&
        (!sets.wellType || sets.wellType.has(w.wellType)) &&
        (!sets.sirnaId || (w.sirnaId !== null && sets.sirnaId.has(w.sirnaId))) &&
        (!sets.dataset || sets.dataset.has(w.dataset)),
    );
  }
}
