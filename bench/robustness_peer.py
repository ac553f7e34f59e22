#!/usr/bin/env python3
"""The simple peer of bench/robustness.ts: what a careful analyst does with scikit-image and scikit-learn alone.

  segmentation  nuclei: Otsu threshold of gaussian(w1, sigma 2), holes filled, touching nuclei split by a watershed
                on the distance transform from its peaks (min distance 7 px), objects under 30 px dropped;
                cells: watershed of the mean of w2, w3, w6 (smoothed) from the nuclei, inside its Otsu mask.
  features      regionprops of nuclei and cells: area, eccentricity, solidity, mean intensity of each channel;
                per site the mean over objects and the nucleus count; per well the mean over its sites.
  correction    per plate, centre and scale every feature on the plate's control wells (negative and positive).
  classifier    StandardScaler + LogisticRegression (lbfgs, multinomial, C = 1, 1000 iterations) trained on the
                treatment wells of the Metadata dataset 'train' experiments, scored on the labelled 'test' ones.

Usage: python3 bench/robustness_peer.py DATASET_DIR [PROCESSES]  -> prints JSON
{"uncorrected": acc, "corrected": acc, "corrected_ci": [lo, hi], "n_test": n, "features": p, "seconds": s}.
"""
import csv
import json
import os
import sys
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image
from scipy import ndimage as ndi
from skimage import feature, filters, measure, morphology, segmentation
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

PROPS = ('area', 'eccentricity', 'solidity', 'mean_intensity')


def load(root, row):
    folder = os.path.join(root, 'images', row['dataset'], row['experiment'], f"Plate{row['plate']}")
    return np.stack([np.array(Image.open(os.path.join(folder, f"{row['well']}_s{row['site']}_w{c}.png")))
                     for c in range(1, 7)]).astype(np.float64) / 255


def segment(tensor):
    smooth = filters.gaussian(tensor[0], sigma=2)
    mask = ndi.binary_fill_holes(smooth > filters.threshold_otsu(smooth))
    distance = ndi.distance_transform_edt(mask)
    peaks = feature.peak_local_max(distance, min_distance=7, labels=measure.label(mask))
    markers = np.zeros(mask.shape, dtype=np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    nuclei = segmentation.watershed(-distance, markers, mask=mask)
    nuclei = morphology.remove_small_objects(nuclei, 30)
    cyto = filters.gaussian(np.mean(tensor[[1, 2, 5]], axis=0), sigma=2)
    cell_mask = (cyto > filters.threshold_otsu(cyto)) | (nuclei > 0)
    cells = segmentation.watershed(-cyto, nuclei, mask=cell_mask)
    return nuclei, cells


def site_features(args):
    root, row = args
    tensor = load(root, row)
    nuclei, cells = segment(tensor)
    channels_last = np.moveaxis(tensor, 0, -1)
    values = [float(len(np.unique(nuclei)) - 1)]
    for labels in (nuclei, cells):
        table = measure.regionprops_table(labels, intensity_image=channels_last, properties=PROPS)
        for name in sorted(table):
            column = np.asarray(table[name], dtype=np.float64)
            values.append(float(column.mean()) if len(column) else 0.0)
    return values


def accuracy_of(X, rows_train, rows_test, y):
    scaler = StandardScaler().fit(X[rows_train])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(X[rows_train]), y[rows_train])
    return model.predict(scaler.transform(X[rows_test])) == y[rows_test]


def main():
    root = sys.argv[1]
    processes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    started = time.perf_counter()
    with open(os.path.join(root, 'metadata.csv')) as f:
        sites = list(csv.DictReader(f))
    with Pool(processes) as pool:
        per_site = pool.map(site_features, [(root, row) for row in sites], chunksize=4)
    wells = {}
    for row, values in zip(sites, per_site):
        wells.setdefault(row['well_id'], (row, []))[1].append(values)
    meta = [w[0] for w in wells.values()]
    X = np.array([np.mean(w[1], axis=0) for w in wells.values()])
    X = np.nan_to_num(X)
    corrected = X.copy()
    plates = {}
    for i, row in enumerate(meta):
        plates.setdefault((row['experiment'], row['plate']), []).append(i)
    for rows in plates.values():
        rows = np.array(rows)
        controls = rows[[meta[i]['well_type'] != 'treatment' for i in rows]]
        mean = X[controls].mean(axis=0)
        std = X[controls].std(axis=0)
        corrected[rows] = (X[rows] - mean) / np.where(std > 0, std, 1)
    treatment = np.array([row['well_type'] == 'treatment' for row in meta])
    dataset = np.array([row['dataset'] for row in meta])
    y = np.array([int(row['sirna_id']) for row in meta])
    train = np.where(treatment & (dataset == 'train'))[0]
    test = np.where(treatment & (dataset == 'test') & np.isin(y, y[train]))[0]
    hits_raw = accuracy_of(X, train, test, y)
    hits = accuracy_of(corrected, train, test, y)
    rng = np.random.default_rng(0)
    boots = [hits[rng.integers(0, len(hits), len(hits))].mean() for _ in range(2000)]
    print(json.dumps({
        'uncorrected': float(hits_raw.mean()),
        'corrected': float(hits.mean()),
        'corrected_ci': [float(np.quantile(boots, 0.025)), float(np.quantile(boots, 0.975))],
        'n_test': int(len(test)),
        'features': int(X.shape[1]),
        'seconds': round(time.perf_counter() - started, 1),
    }))


if __name__ == '__main__':
    main()
