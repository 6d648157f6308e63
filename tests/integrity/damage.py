"""The damaged archives of the integrity suite, as data: each case damages a copy of a good archive
(tests/configs/small.yaml: linear model, 16 points, all done, -save_responses) the way disks,
copies and hand edits do, and says what every reader must make of it (README, "Integrity"):

  VALID         read as usual by every path (a point reset to pending is recomputed by -resume)
  INVALID       refused by every path with one line naming the dataset and what is wrong
                (repdrift-report, -verify, repdrift-merge, the Python loader: exit 2 or ArchiveError;
                -resume: "cannot be resumed", the file untouched)
  CORRUPT       valid, but the listed finished points fail their checksum: the report, the loader
                and merge refuse naming them, -verify lists them (exit 1), -resume recomputes them
                (after which the archive equals the good one)
  UNVERIFIABLE  no checksums (an archive written before them): read with a note; -verify exit 3
                (one that also lacks a dataset added later cannot be resumed: its new points have nowhere
                to go)
  OPTIONS       /config/options edited after the run: every point fails its checksum; -resume with
                the run's options is refused (the options differ)
"""
import os
import shutil

import h5py
import numpy as np

VALID, INVALID, CORRUPT, UNVERIFIABLE, OPTIONS = "valid", "invalid", "corrupt", "unverifiable", "options"
N_POINTS = 16  # tests/configs/small.yaml


class Case:
    def __init__(self, name, what, damage, verdict, message="", points=(), pending=(), messages=None, resume_refusal=None):
        self.name, self.what, self.damage, self.verdict = name, what, damage, verdict
        # -resume refuses it (the file untouched) with this in its line, rather than what the verdict says
        self.resume_refusal = resume_refusal or {INVALID: "cannot be resumed", OPTIONS: "written with different options"}.get(verdict)
        self.message = message        # in the one line of every refusal (INVALID)
        self.points = tuple(points)   # the points failing their checksum (CORRUPT)
        self.pending = tuple(pending)  # points the damage set pending (VALID: -resume computes them)
        self.messages = messages or {}  # per path, where the line differs (e.g. the loader's own checks)

    def message_for(self, path):
        return self.messages.get(path, self.message)


# ---- the damage, on an open h5py.File (edit) or on the file's bytes (raw) ----

def replace(f, path, data):
    """Replaces a dataset by DATA, keeping its attributes (so only shape or type differ)."""
    attributes = dict(f[path].attrs.items()) if path in f else {}
    if path in f:
        del f[path]
    f[path] = data
    for name, value in attributes.items():
        if name not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
            f[path].attrs[name] = value


def edit(function):
    def apply(path):
        with h5py.File(path, "r+") as f:
            function(f)
    return apply


def flip_byte(dataset_path, point, byte, bit=0):
    """Flips one bit of byte BYTE of the point's slice of a contiguous dataset, in the file itself."""
    def apply(path):
        with h5py.File(path, "r") as f:
            dataset = f[dataset_path]
            slice_bytes = dataset.dtype.itemsize * int(np.prod(dataset.shape[1:], dtype=np.int64))
            offset = dataset.id.get_offset() + point * slice_bytes + byte
        with open(path, "r+b") as raw:
            raw.seek(offset)
            value = raw.read(1)[0]
            raw.seek(offset)
            raw.write(bytes([value ^ (1 << bit)]))
    return apply


def truncate(path):
    size = os.path.getsize(path)
    with open(path, "r+b") as raw:
        raw.truncate(size // 2)


def swap_points(a, b):
    """A hand edit that swaps two points' results in every per-point dataset (checksums too)."""
    def function(f):
        def visit(name, item):
            if not isinstance(item, h5py.Dataset) or "/" not in name or not item.ndim or item.shape[0] != N_POINTS:
                return  # the dimension scales sit at the root
            group = name.split("/")[0]
            if group == "config" or (group == "sweep" and name not in ("sweep/status", "sweep/checksum", "sweep/wall_seconds")):
                return  # the sweep description stays: the points' places
            rows = item[[a, b]]
            item[a], item[b] = rows[1], rows[0]
        f.visititems(visit)
    return edit(function)


def set_value(path_in_file, index, value):
    def function(f):
        dataset = f[path_in_file]
        data = dataset[()]
        data[index] = value
        dataset[...] = data
    return edit(function)


def edit_options(old, new):
    def function(f):
        text = f["/config/options"][()]
        text = text.decode() if isinstance(text, bytes) else text
        assert old in text, f"{old!r} not in /config/options"
        f["/config/options"][()] = text.replace(old, new)
    return edit(function)


def setattr_root(name, value):
    return edit(lambda f: f.attrs.__setitem__(name, value))


def delattr_root(name):
    return edit(lambda f: f.attrs.__delitem__(name))


def delete(path_in_file):
    return edit(lambda f: f.__delitem__(path_in_file))


CASES = [
    Case("untouched", "the good archive itself", None, VALID),
    # cut and resized datasets
    Case("status_cut", "/sweep/status cut to one entry", edit(lambda f: replace(f, "/sweep/status", np.ones(1, np.int8))),
         INVALID, "/sweep/status has 1 entries along point where the archive has 16"),
    Case("status_resized", "/sweep/status grown to 20 entries", edit(lambda f: replace(f, "/sweep/status", np.ones(20, np.int8))),
         INVALID, "/sweep/status has 20 entries along point"),
    Case("loss_resized", "/task/loss with one day less", edit(lambda f: replace(f, "/task/loss", f["/task/loss"][:, :3])),
         INVALID, "/task/loss has 3 entries along day where the archive has 4"),
    Case("scale_resized", "dimension scale /day with 3 entries", edit(lambda f: replace(f, "/day", np.arange(3))),
         INVALID, "dimension scale /day has 3 entries where /config/options gives 4"),
    Case("rank_changed", "/geometry/participation_ratio flattened to 2 dimensions",
         edit(lambda f: replace(f, "/geometry/participation_ratio", f["/geometry/participation_ratio"][()].reshape(N_POINTS, -1))),
         INVALID, "/geometry/participation_ratio has 2 dimensions; the schema says 3"),
    # retyped
    Case("loss_retyped", "/task/loss rewritten as float32",
         edit(lambda f: replace(f, "/task/loss", f["/task/loss"][()].astype(np.float32))),
         INVALID, "/task/loss is float32; the schema says float64"),
    Case("status_retyped", "/sweep/status rewritten as int64",
         edit(lambda f: replace(f, "/sweep/status", f["/sweep/status"][()].astype(np.int64))),
         INVALID, "/sweep/status is int64; the schema says int8"),
    Case("checksum_retyped", "/sweep/checksum rewritten as int64",
         edit(lambda f: replace(f, "/sweep/checksum", f["/sweep/checksum"][()].astype(np.int64))),
         INVALID, "/sweep/checksum is int64; the schema says uint64"),
    # deleted, renamed, added
    Case("group_deleted", "the /geometry group deleted", delete("/geometry"), INVALID, "/geometry/eigenvalues is missing"),
    Case("dataset_deleted", "/readout/classifier_angle deleted", delete("/readout/classifier_angle"),
         INVALID, "/readout/classifier_angle is missing"),
    Case("dataset_renamed", "/drift/angle_to_pc renamed /drift/angle_to_pcs",
         edit(lambda f: f.move("/drift/angle_to_pc", "/drift/angle_to_pcs")), INVALID,
         "/drift/angle_to_pc is missing (deleted or renamed?"),
    Case("optional_deleted", "/responses/probe deleted (the options say -save_responses true)", delete("/responses/probe"),
         INVALID, "/responses/probe is missing"),
    Case("group_added", "a /theory dataset added to a days-protocol archive",
         edit(lambda f: f.create_dataset("/theory/L_star", data=np.full(N_POINTS, np.nan))), INVALID,
         "/theory/L_star is present but /config/options does not select its group"),
    Case("units_deleted", "the units attribute of /task/loss deleted", edit(lambda f: f["/task/loss"].attrs.__delitem__("units")),
         INVALID, "/task/loss has no units attribute"),
    # out-of-range and altered sweep values
    Case("width_negative", "every /sweep/width set to -5", set_value("/sweep/width", slice(None), -5),
         INVALID, "/sweep/width of point 0 is -5: out of range"),
    Case("frequency_nan", "every /sweep/frequency set to NaN", set_value("/sweep/frequency", slice(None), np.nan),
         INVALID, "/sweep/frequency of point 0 is nan: out of range"),
    Case("probability_out_of_range", "/sweep/stimulus_probability of point 3, stimulus 1 set to 1.5",
         set_value("/sweep/stimulus_probability", (3, 1), 1.5), INVALID,
         "/sweep/stimulus_probability of point 3, stimulus 1 is 1.5: out of range"),
    Case("lr_zero", "/sweep/lr of point 2 set to 0", set_value("/sweep/lr", 2, 0.0), INVALID, "/sweep/lr of point 2 is 0: out of range"),
    Case("noise_type_unknown", "/sweep/noise_type of point 0 set to 9", set_value("/sweep/noise_type", 0, 9), INVALID,
         "/sweep/noise_type of point 0 is 9: out of range"),
    Case("seed_changed", "/sweep/seed of point 3 set to 7 (in range, not the sweep's)", set_value("/sweep/seed", 3, 7), INVALID,
         "/sweep/seed of point 3 is 7 where /config/options gives 1"),
    Case("noise_level_changed", "/sweep/noise_level of point 0 set to 0.3 (in range, not the sweep's)",
         set_value("/sweep/noise_level", 0, 0.3), INVALID, "/sweep/noise_level of point 0 is 0.29999999999999999 where /config/options gives 0"),
    Case("status_unknown", "/sweep/status of point 4 set to 7", set_value("/sweep/status", 4, 7), INVALID,
         "/sweep/status of point 4 is 7: not a status"),
    # root attributes
    Case("root_model", "root attribute model changed to classifier", setattr_root("model", "classifier"), INVALID,
         "root attribute model is \"classifier\" but /config/options says -model linear"),
    Case("root_seed", "root attribute global_seed changed to 7", setattr_root("global_seed", np.int64(7)), INVALID,
         "root attribute global_seed is 7 but /config/options says -seed 1"),
    Case("root_status", "root attribute status changed to \"bogus\"", setattr_root("status", "bogus"), INVALID,
         "root attribute status is \"bogus\": not running, complete or interrupted"),
    Case("root_schema_version", "root attribute schema_version changed to 2", setattr_root("schema_version", np.int64(2)),
         INVALID, "schema_version 2"),
    Case("root_format_deleted", "root attribute format deleted", delattr_root("format"), INVALID, "not a repdrift archive"),
    # the options
    Case("options_garbage", "/config/options replaced by an unknown option", edit_options("-model linear", "-frobnicate 3"),
         INVALID, "/config/options is not a valid options text of this repdrift (Unknown option -frobnicate"),
    Case("options_deleted", "/config/options deleted", delete("/config/options"), INVALID, "/config/options is missing"),
    Case("options_edited", "/config/options: -input_noise changed after the run (no axis: the sweep description agrees)",
         edit_options("-input_noise 0.10000000000000001", "-input_noise 0.2"), OPTIONS, points=range(N_POINTS)),
    # the file
    Case("truncated", "the file cut to half its size (an interrupted copy)", truncate, INVALID, "truncated"),
    # flipped bits and hand edits of finished points
    Case("data_byte_flipped", "one bit of point 5's /geometry/eigenvalues flipped in the file",
         flip_byte("/geometry/eigenvalues", 5, 3), CORRUPT, points=[5]),
    Case("checksum_byte_flipped", "one bit of point 2's /sweep/checksum flipped in the file",
         flip_byte("/sweep/checksum", 2, 5), CORRUPT, points=[2]),
    Case("status_byte_flipped", "one bit of point 4's /sweep/status flipped in the file (done -> failed)",
         flip_byte("/sweep/status", 4, 0, bit=1), CORRUPT, points=[4]),
    Case("value_overwritten", "/drift/angle_r of point 7 overwritten with NaN by hand",
         set_value("/drift/angle_r", (7, 1, 0), np.nan), CORRUPT, points=[7]),
    Case("points_swapped", "points 0 and 3 swapped in every per-point dataset, checksums included", swap_points(0, 3),
         CORRUPT, points=[0, 3]),
    Case("later_dataset_deleted", "/drift/variational_overlap_chance (added to the schema later) deleted from a checksummed archive",
         delete("/drift/variational_overlap_chance"), CORRUPT, points=range(N_POINTS),
         resume_refusal="written before /drift/variational_overlap_chance existed"),
    # what still reads
    Case("no_checksum", "/sweep/checksum deleted: an archive written before checksums", delete("/sweep/checksum"), UNVERIFIABLE),
    Case("older_archive", "/sweep/checksum and /drift/variational_overlap_chance deleted: an archive written before both were added",
         edit(lambda f: [f.__delitem__("/sweep/checksum"), f.__delitem__("/drift/variational_overlap_chance")]), UNVERIFIABLE,
         resume_refusal="written before /drift/variational_overlap_chance existed"),
    Case("point_pending", "point 9 set back to pending (as a run killed before its status)", set_value("/sweep/status", 9, 0),
         VALID, pending=[9]),
    Case("wall_seconds_edited", "/sweep/wall_seconds of point 1 edited (a timing: not covered by checksums)",
         set_value("/sweep/wall_seconds", 1, 1e9), VALID),
]

# the Python loader checks some things itself before the program's validation runs
for case in CASES:
    if case.name == "truncated":
        case.messages["python"] = "truncated"
    if case.name == "options_garbage":  # -resume compares the options first
        case.resume_refusal = "written with different options"


def make(good, workdir, names=None):
    """Copies GOOD into WORKDIR/<case>.h5 (WORKDIR emptied first) and damages each copy; returns the cases made."""
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    made = []
    for case in CASES:
        if names and case.name not in names:
            continue
        case.path = os.path.join(workdir, f"{case.name}.h5")
        shutil.copyfile(good, case.path)
        if case.damage:
            case.damage(case.path)
        made.append(case)
    return made
