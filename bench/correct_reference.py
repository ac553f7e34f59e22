"""The reference side of bench/correct.ts: the same corrections with numpy / scipy / scikit-learn on the same
float32 matrix, timed over repetitions (wall and process CPU seconds, the fastest of each), then compared with
phenomap's outputs when `compare` is set. Reads its arguments as JSON on stdin, prints JSON.

- standardize: scikit-learn StandardScaler.
- zca: pycytominer's Spherize(method='ZCA', epsilon=1e-6, center=True) computation on centred data (thin SVD).
- tvn: EFAAR's tvn_on_controls with centring on each batch's controls (src/correct/tvn.ts).

The BLAS numpy runs (threadpoolctl, when installed) is reported, so a result says which kernel it measured.
"""
import json
import sys
import time

import numpy as np
import scipy
import sklearn
from scipy.linalg import fractional_matrix_power
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

args = json.loads(sys.stdin.read())
n, p, d = args['rows'], args['features'], args['dir']
X = np.fromfile(f'{d}/x.f32', dtype=np.float32).reshape(p, n).T
experiment = np.fromfile(f'{d}/experiment.i32', dtype=np.int32)
ctrl = np.fromfile(f'{d}/controls.u8', dtype=np.uint8).astype(bool)


def standardize():
    return StandardScaler().fit_transform(X)


def zca():
    Xc = X.astype(np.float64)
    Xc -= Xc.mean(axis=0)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    W = (vt / (s + 1e-6)[:, None]).T * np.sqrt(n - 1) @ vt
    return Xc @ W


def tvn():
    E = StandardScaler().fit(X[ctrl]).transform(X).astype(np.float64)
    pca = PCA().fit(E[ctrl])
    E = pca.transform(E)
    signs = np.array([1.0 if row[np.argmax(np.abs(row))] >= 0 else -1.0 for row in pca.components_])
    E *= signs
    E = StandardScaler().fit(E[ctrl]).transform(E)
    for b in np.unique(experiment):
        rows = experiment == b
        bc = rows & ctrl
        cov = np.cov(E[bc], rowvar=False, ddof=1) + 0.5 * np.eye(E.shape[1])
        E[rows] = (E[rows] - E[bc].mean(axis=0)) @ np.real(fractional_matrix_power(cov, -0.5))
    return E


def blas():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 'threadpoolctl not installed'
    keys = ('internal_api', 'version', 'architecture', 'num_threads', 'threading_layer')
    return [{k: info.get(k) for k in keys} for info in threadpool_info() if info.get('user_api') == 'blas']


out = {
    'python': sys.version.split()[0],
    'numpy': np.__version__,
    'scipy': scipy.__version__,
    'sklearn': sklearn.__version__,
    'blas': blas(),
    'methods': {},
}
for name, fn in [('standardize', standardize), ('zca', zca), ('tvn', tvn)]:
    if name not in args['methods']:
        continue
    walls, cpus = [], []
    for _ in range(args['repetitions']):
        start, start_cpu = time.perf_counter(), time.process_time()
        ref = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    result = {'seconds': round(min(walls), 2), 'cpuSeconds': round(min(cpus), 2), 'allSeconds': [round(w, 2) for w in walls]}
    if args['compare']:
        ours = np.fromfile(f'{d}/{name}.f32', dtype=np.float32).reshape(-1, n).T
        diff = np.abs(ours.astype(np.float64) - ref)
        result.update(maxAbsDiff=float(diff.max()), maxAbsValue=float(np.abs(ref).max()), meanAbsDiff=float(diff.mean()))
        del ours, diff
    out['methods'][name] = result
    del ref
print(json.dumps(out))
