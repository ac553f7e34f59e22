/**
 * Linear assignment: the Hungarian method with potentials and shortest augmenting paths (Kuhn 1955, Munkres
 * 1957; the O(n^2 m) form of Jonker & Volgenant 1987), and the plate-constrained siRNA assignment built on it.
 */
import { DisjointSets, type Matrix, type Matrix64, matrix, transpose } from '../numerics/index.js';

/**
 * Minimum-cost assignment on a rows x cols cost matrix. Every row gets a distinct column when rows <= cols;
 * when rows > cols every column gets a distinct row and the other rows get -1. Returns the column of each
 * row. Costs must be finite. Same optimum value as scipy.optimize.linear_sum_assignment.
 */
export function linearAssignment(costMatrix: Matrix): Int32Array {
  const { rows, cols, data: cost } = costMatrix;
  for (let t = 0; t < cost.length; t++)
    if (!Number.isFinite(cost[t]))
      throw new Error(`linearAssignment: cost[${Math.floor(t / cols)}][${t % cols}] is not finite`);
  if (rows > cols) {
    // Solve the transpose (cols <= rows) and invert the matching.
    const colToRow = linearAssignment(transpose(costMatrix));
    const out = new Int32Array(rows).fill(-1);
    colToRow.forEach((row, col) => {
      out[row] = col;
    });
    return out;
  }
  const n = rows;
  const m = cols;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const owner = new Int32Array(m + 1); // owner[j] = row (1-based) matched to column j, 0 when free
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    owner[0] = i;
    let j0 = 0;
    minv.fill(Infinity);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = owner[j0];
      let delta = Infinity;
      let j1 = 0;
      const rowOffset = (i0 - 1) * m;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = cost[rowOffset + j - 1] - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Int32Array(n).fill(-1);
  for (let j = 1; j <= m; j++) if (owner[j] > 0) out[owner[j] - 1] = j - 1;
  return out;
}

/** Total cost of an assignment (rows with -1 are skipped). */
export function assignmentCost(cost: Matrix, assignment: Int32Array): number {
  let total = 0;
  assignment.forEach((col, row) => {
    if (col >= 0) total += cost.data[row * cost.cols + col];
  });
  return total;
}

/**
 * Groups of classes that share plates: the connected components of the relation "seen on the same training
 * plate" (union-find over class indices). In RxRx1 these are the 4 plate groups of 277 siRNAs, recovered from
 * the training labels alone. `plateClasses` lists the class indices of each training plate. Returns the group
 * index of each class (classes never seen get their own singleton group) and the groups' member lists.
 */
export function classGroups(plateClasses: number[][], classes: number): { groupOf: Int32Array; groups: number[][] } {
  const sets = new DisjointSets(classes);
  for (const members of plateClasses) {
    for (let t = 1; t < members.length; t++) {
      sets.union(members[0], members[t]);
    }
  }
  const groupOf = new Int32Array(classes);
  const rootGroup = new Map<number, number>();
  const groups: number[][] = [];
  for (let c = 0; c < classes; c++) {
    const root = sets.find(c);
    let g = rootGroup.get(root);
    if (g === undefined) {
      g = groups.length;
      rootGroup.set(root, g);
      groups.push([]);
    }
    groupOf[c] = g;
    groups[g].push(c);
  }
  return { groupOf, groups };
}

export interface PlateAssignment {
  /** Predicted class of each row. */
  predictions: Int32Array;
  /** The group chosen for each plate, keyed by plate key. */
  plateGroup: Map<string, number>;
}

/**
 * Plate-constrained prediction. For each plate (rows sharing a `plateKeys` value): (1) its group is the group g
 * maximizing the summed probability sum_{rows} sum_{c in g} exp(logProba[row][c]) (the plate's wells vote with
 * their predicted probability mass); (2) the rows are matched to the group's classes by minimum total cost
 * -logProba (linearAssignment), each class taking at most `capacity` = ceil(rows / classes in the group) rows:
 * one-to-one in RxRx1, where each siRNA of a group appears once per plate; `capacity` copies of each class
 * column when a plate holds replicate wells (as some simulator presets do).
 */
export function plateConstrainedPredictions(
  logProbaMatrix: Matrix64,
  plateKeys: string[],
  groups: number[][],
): PlateAssignment {
  const n = plateKeys.length;
  const { cols: classes, data: logProba } = logProbaMatrix;
  if (logProbaMatrix.rows !== n)
    throw new Error(`plateConstrainedPredictions: ${logProbaMatrix.rows} rows of scores for ${n} plate keys`);
  const predictions = new Int32Array(n).fill(-1);
  const plateGroup = new Map<string, number>();
  const byPlate = new Map<string, number[]>();
  plateKeys.forEach((key, i) => {
    const list = byPlate.get(key);
    if (list) list.push(i);
    else byPlate.set(key, [i]);
  });
  for (const [key, rowsOfPlate] of byPlate) {
    let bestGroup = 0;
    let bestMass = -Infinity;
    groups.forEach((members, g) => {
      let mass = 0;
      for (const i of rowsOfPlate) for (const c of members) mass += Math.exp(logProba[i * classes + c]);
      if (mass > bestMass) {
        bestMass = mass;
        bestGroup = g;
      }
    });
    plateGroup.set(key, bestGroup);
    const candidates = groups[bestGroup];
    const capacity = Math.max(1, Math.ceil(rowsOfPlate.length / candidates.length));
    const m = candidates.length * capacity;
    const cost = new Float64Array(rowsOfPlate.length * m);
    rowsOfPlate.forEach((i, r) => {
      candidates.forEach((c, t) => {
        const lp = logProba[i * classes + c];
        const value = Number.isFinite(lp) ? -lp : 1e6;
        for (let copy = 0; copy < capacity; copy++) cost[r * m + copy * candidates.length + t] = value;
      });
    });
    const matched = linearAssignment(matrix(cost, rowsOfPlate.length, m));
    rowsOfPlate.forEach((i, r) => {
      predictions[i] = candidates[matched[r] % candidates.length];
    });
  }
  return { predictions, plateGroup };
}
