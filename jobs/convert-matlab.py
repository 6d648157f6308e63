#!/usr/bin/env python3
"""usage: convert-matlab.py DATA.mat -o RECORDING.h5 --variable NAME --axes ORDER [options]

Converts one numeric array of a MATLAB file into a repdrift-recording (version 1). MAT files up
to v7 are read with scipy.io.loadmat, v7.3 files (HDF5) with h5py.

  --variable NAME  the array: responses with NaN for missing trials
  --axes ORDER     the array's axes in MATLAB order (as size() lists them), comma-separated names
                   from session, stimulus, trial, neuron, e.g. neuron,trial,stimulus,session;
                   stimulus may be left out (one stimulus group). MATLAB drops trailing singleton
                   dimensions, so an array with fewer dimensions than ORDER gets them back.
  --ids NAME       optional variable: one integer id per neuron (/neuron_id)
  --days NAME|LIST optional: a variable or a comma-separated list, days since the first session
  --units TEXT     what a response is (default "unknown"); --source TEXT where it came from

A bad file (missing variable, wrong shape, a cell/struct/char/complex/sparse variable, a
stimulus with fewer than 2 valid trials in a session, a NaN-only neuron, a repeated id) is refused
with one line naming the file and the variable, exit status 2, and nothing is written.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_common as common  # noqa: E402

AXES = ("session", "stimulus", "trial", "neuron")


def arguments(argv):
    parser = argparse.ArgumentParser(prog="convert-matlab.py", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("input", metavar="DATA.mat")
    parser.add_argument("-o", "--output", required=True, help="recording to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--variable", required=True, help="name of the responses array")
    parser.add_argument("--axes", required=True, help="axis order in MATLAB order, e.g. neuron,trial,stimulus,session")
    parser.add_argument("--ids", help="variable holding one integer id per neuron")
    parser.add_argument("--days", help="variable or comma-separated list: days since the first session")
    parser.add_argument("--units", default="unknown", help="what one response is, e.g. dF/F")
    parser.add_argument("--source", help="where the data came from (default: the file name)")
    options = parser.parse_args(argv)
    order = [a.strip() for a in options.axes.split(",")]
    if len(set(order)) != len(order) or not set(order) <= set(AXES) or not {"session", "trial", "neuron"} <= set(order):
        raise common.ConversionError(f"--axes {options.axes}: name each axis once, from {', '.join(AXES)} (session, trial and neuron are required)")
    options.order = order
    return options


class MatFile:
    """One variable at a time from a MAT file, in MATLAB's axis order."""

    def __init__(self, path):
        self.path = path
        if not os.path.exists(path):
            raise common.ConversionError(f"{path}: no such file")
        import h5py
        try:
            self.v73 = h5py.is_hdf5(path)
        except OSError as error:
            raise common.ConversionError(f"{path}: cannot be read ({error})") from None
        self.handle = common.open_hdf5(path) if self.v73 else None

    def close(self):
        if self.handle is not None:
            self.handle.close()

    def numeric(self, name, what):
        import numpy as np
        if self.v73:
            return self._numeric_v73(name, what)
        import scipy.io
        try:
            contents = scipy.io.loadmat(self.path, variable_names=[name])
        except (ValueError, TypeError, OSError, NotImplementedError) as error:
            raise common.ConversionError(f"{self.path}: not a readable MAT file ({error})") from None
        if name not in contents:
            raise common.ConversionError(f"{self.path}: {name}: no such variable ({what})")
        value = contents[name]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iufb":
            kind = "a cell array" if getattr(value, "dtype", None) is not None and value.dtype.kind == "O" else \
                   "a struct" if getattr(value, "dtype", None) is not None and value.dtype.names else \
                   "text" if getattr(value, "dtype", None) is not None and value.dtype.kind in "SU" else \
                   "complex" if getattr(value, "dtype", None) is not None and value.dtype.kind == "c" else type(value).__name__
            raise common.ConversionError(f"{self.path}: {name}: is {kind}, not a real numeric array ({what})")
        return np.asarray(value, dtype=np.float64)

    def _numeric_v73(self, name, what):
        import h5py
        import numpy as np
        f = self.handle
        if name not in f:
            raise common.ConversionError(f"{self.path}: {name}: no such variable ({what})")
        node = f[name]
        matlab_class = node.attrs.get("MATLAB_class", b"")
        matlab_class = matlab_class.decode() if isinstance(matlab_class, bytes) else str(matlab_class)
        if not isinstance(node, h5py.Dataset) or "MATLAB_sparse" in node.attrs:
            raise common.ConversionError(f"{self.path}: {name}: is a {matlab_class or 'group'}{' (sparse)' if 'MATLAB_sparse' in node.attrs else ''}, not a numeric array ({what})")
        if matlab_class in ("cell", "struct", "char", "function_handle") or node.dtype.kind not in "iuf":
            raise common.ConversionError(f"{self.path}: {name}: is MATLAB class {matlab_class or node.dtype}, not a real numeric array ({what})")
        if node.attrs.get("MATLAB_empty", 0):
            raise common.ConversionError(f"{self.path}: {name}: is empty ({what})")
        # HDF5 stores MATLAB's column-major array with the axes reversed
        return np.asarray(node[()], dtype=np.float64).transpose()


def convert(argv):
    import numpy as np
    options = arguments(argv)
    mat = MatFile(options.input)
    try:
        data = mat.numeric(options.variable, f"responses with axes {options.axes}")
        ids = mat.numeric(options.ids, "one id per neuron").ravel() if options.ids else None
        days = None
        if options.days:
            try:
                days = [float(v) for v in options.days.split(",")]
            except ValueError:
                days = mat.numeric(options.days, "days since the first session").ravel().tolist()
    finally:
        mat.close()
    order = options.order
    if data.ndim > len(order):
        raise common.ConversionError(f"{options.input}: {options.variable}: has {data.ndim} dimensions {data.shape}, --axes names {len(order)}")
    data = data.reshape(data.shape + (1,) * (len(order) - data.ndim))  # trailing singletons MATLAB dropped
    if "stimulus" not in order:
        order = order + ["stimulus"]
        data = data[..., np.newaxis]
    responses = np.ascontiguousarray(data.transpose([order.index(axis) for axis in AXES]))
    neuron_id = None
    if ids is not None:
        if ids.shape[0] != responses.shape[3]:
            raise common.ConversionError(f"{options.input}: {options.ids}: {ids.shape[0]} ids for {responses.shape[3]} neurons of {options.variable}")
        neuron_id = common.unique_integer_ids(ids, options.input, options.ids)
    if days is not None and len(days) != responses.shape[0]:
        raise common.ConversionError(f"{options.input}: --days {options.days}: {len(days)} days for {responses.shape[0]} sessions of {options.variable}")
    common.write_recording(
        options.output, responses, neuron_id=neuron_id, session_day=days, stimulus_name=None,
        response_units=options.units,
        source=options.source or f"MATLAB {'v7.3' if mat.v73 else 'v5'} file {os.path.basename(options.input)}, variable {options.variable} ({options.axes}) via convert-matlab.py",
        overwrite=options.overwrite, files=[options.input] * responses.shape[0], neuron_path=options.variable, trial_path=options.variable)


if __name__ == "__main__":
    sys.exit(common.run("convert-matlab", convert, sys.argv[1:]))
