"""repdrift: read a repdrift archive with the sweep as labelled axes, summarise it, plot it.

    import repdrift
    drift = repdrift.open_archive("repdrift.h5", "drift")      # xarray.Dataset
    drift.fraction_in_variational_space.sel(width=64).mean("seed")
    repdrift.summary("repdrift.h5")                             # mean, s.e., n over seeds

Figures: `repdrift-plot ARCHIVE` or `python3 -m repdrift.plot ARCHIVE` (see repdrift.plot).
Needs numpy, h5py and xarray (Debian: python3-numpy, python3-h5py, python3-xarray); the figures
also need matplotlib (python3-matplotlib).
"""
from .archive import (NOISE_TYPE_NAMES, STATUS_NAMES, SWEEP_DIMS, ArchiveError, SweepAxes, open_archive,
                      sweep_axes)
from .summary import HEADLINE_COLUMNS, point_summaries, summary, summary_csv_header, summary_csv_rows

__version__ = "0.1.0"  # the project's version (checked against CMake's project(VERSION) at configure time)
__all__ = ["open_archive", "summary", "point_summaries", "summary_csv_header", "summary_csv_rows", "sweep_axes",
           "SweepAxes", "ArchiveError", "SWEEP_DIMS", "NOISE_TYPE_NAMES", "STATUS_NAMES", "HEADLINE_COLUMNS"]
