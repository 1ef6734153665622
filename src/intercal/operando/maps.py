"""The 2theta-time intensity map as figures draw it (numpy only).

A 10,000-scan series has a 10,000 x 1,200 map: a figure shows ~1000 pixel rows,
so the rows are averaged in time order to at most :data:`MAX_MAP_ROWS`. The
lattice job computes this once (``display_time_h``, ``display_sqrt`` in
intensity_map.npz) and the figures draw it, instead of each loading and
reducing the full map.
"""

from __future__ import annotations

import numpy as np

#: a map of more scans is drawn from the means of consecutive scans
MAX_MAP_ROWS = 600


def time_ordered_map(inten: np.ndarray, t_scan_h: np.ndarray, max_rows: int = MAX_MAP_ROWS):
    """Rows of the map in time order; more than ``max_rows`` are averaged in groups."""
    order = np.argsort(t_scan_h)
    t, z = t_scan_h[order], inten[order]
    k = int(np.ceil(t.size / max_rows))
    if k > 1:
        n = (t.size // k) * k
        parts_t = [t[:n].reshape(-1, k).mean(axis=1)]
        parts_z = [np.nanmean(z[:n].reshape(-1, k, z.shape[1]), axis=1)]
        if n < t.size:
            parts_t.append([t[n:].mean()])
            parts_z.append(np.nanmean(z[n:], axis=0)[None, :])
        t, z = np.concatenate(parts_t), np.vstack(parts_z)
    return t, z


def row_times_h(lattice, scans) -> np.ndarray:
    """Time (h) of each map row: the lattice table's ``time_h`` of its scan (NaN if absent)."""
    times = lattice.drop_duplicates("scan").set_index("scan")["time_h"]
    return times.reindex(np.asarray(scans)).to_numpy(float)


def display_map(intensity: np.ndarray, t_scan_h: np.ndarray, max_rows: int = MAX_MAP_ROWS):
    """Square root of the counts (clipped at 0), in time order, averaged to <= ``max_rows``.

    Returns
    -------
    (ndarray, ndarray)
        Row times (h) and the reduced map (rows x 2theta points).
    """
    z = np.sqrt(np.clip(np.asarray(intensity, float), 0, None))
    return time_ordered_map(z, np.asarray(t_scan_h, float), max_rows)
