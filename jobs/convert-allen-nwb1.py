#!/usr/bin/env python3
"""usage: convert-allen-nwb1.py SESSION.nwb [SESSION.nwb ...] -o RECORDING.h5 [options]

Converts the sessions of one Allen Brain Observatory Visual Coding experiment container (NWB 1
files, one per session, given in time order) into a repdrift-recording (version 1), with the
passive protocol of Aitken et al. (2022, PLoS Comput Biol 18:e1010716, section 2.1):

  stimulus groups  the movie (default natural_movie_one, 900 frames) cut into 30 one-second blocks:
                   block b = movie frames 30b .. 30b+29
  trials           the repeats: a repeat is one pass over movie frames 0..899 (a new repeat starts
                   where the movie frame index decreases); a block's trial in a repeat is valid
                   when all 30 of its movie frames were shown in that repeat, else NaN (missing)
  response         the mean dF/F of each cell over the imaging frames from the start of the block's
                   first movie-frame presentation to the end (exclusive) of its last
  neurons          the cells present in every session, matched by cell_specimen_id, in ascending id
                   order (/neuron_id holds the ids)
  session days     --days, else the differences of /session_start_time (in days) when every file
                   has one that parses, else no /session_day

Paths read in each file (NWB 1, Allen layout):
  /processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/data        [cells, frames]
  /processing/brain_observatory_pipeline/DfOverF/imaging_plane_1/timestamps  [frames]
  /processing/brain_observatory_pipeline/ImageSegmentation/cell_specimen_ids [cells]
  /stimulus/presentation/natural_movie_one_stimulus/data            [presentations] movie frame shown
  /stimulus/presentation/natural_movie_one_stimulus/frame_duration  [presentations, 2] start, end
                                                                    imaging frame (end exclusive)
A bad file (a missing path, a wrong shape, no common cells, a block with fewer than 2 valid
repeats, a NaN-only cell, a repeated id) is refused with one line naming the file and the path,
exit status 2, and nothing is written. An existing output is replaced only with --overwrite.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_common as common  # noqa: E402

PIPELINE = "/processing/brain_observatory_pipeline"


def arguments(argv):
    parser = argparse.ArgumentParser(prog="convert-allen-nwb1.py", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("sessions", nargs="+", metavar="SESSION.nwb", help="NWB 1 session files of one container, in time order")
    parser.add_argument("-o", "--output", required=True, help="recording to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--days", help="days since the first session, one per file (e.g. 0,1,8)")
    parser.add_argument("--plane", default="imaging_plane_1", help="imaging plane of DfOverF (default imaging_plane_1)")
    parser.add_argument("--movie", default="natural_movie_one", help="movie stimulus name (default natural_movie_one)")
    parser.add_argument("--movie-frames", type=int, default=900, help="frames per pass of the movie (default 900)")
    parser.add_argument("--block-frames", type=int, default=30, help="movie frames per stimulus block (default 30: one second)")
    options = parser.parse_args(argv)
    if options.movie_frames < 1 or options.block_frames < 1 or options.movie_frames % options.block_frames:
        raise common.ConversionError(f"--movie-frames {options.movie_frames} must be a positive multiple of --block-frames {options.block_frames}")
    return options


def read_session(path, options):
    """Cell ids [cells] and responses [blocks, repeats, cells] of one session file."""
    import numpy as np
    dff_path = f"{PIPELINE}/DfOverF/{options.plane}"
    stimulus_path = f"/stimulus/presentation/{options.movie}_stimulus"
    with common.open_hdf5(path) as f:
        dff = common.read_numbers(f, f"{dff_path}/data", "dF/F [cells, frames]", ndim=2)
        cells, frames = dff.shape
        timestamps = common.read_numbers(f, f"{dff_path}/timestamps", "imaging frame times [frames]", ndim=1)
        if timestamps.shape[0] != frames:
            raise common.ConversionError(f"{path}: {dff_path}/timestamps: {timestamps.shape[0]} times for {frames} imaging frames of {dff_path}/data [cells, frames]")
        ids_path = f"{PIPELINE}/ImageSegmentation/cell_specimen_ids"
        ids = common.unique_integer_ids(common.read_numbers(f, ids_path, "one cell_specimen_id per cell"), path, ids_path)
        if ids.shape[0] != cells:
            hint = " (is the dF/F array stored [frames, cells]? the Allen layout is [cells, frames])" if ids.shape[0] == frames else ""
            raise common.ConversionError(f"{path}: {ids_path}: {ids.shape[0]} ids for {cells} cells (rows) of {dff_path}/data{hint}")
        shown = common.read_numbers(f, f"{stimulus_path}/data", "movie frame of each presentation")
        if shown.ndim == 2 and shown.shape[1] == 1:
            shown = shown[:, 0]
        if shown.ndim != 1:
            raise common.ConversionError(f"{path}: {stimulus_path}/data: shape {shown.shape}; expected [presentations]")
        duration = common.read_numbers(f, f"{stimulus_path}/frame_duration", "[presentations, 2] start and end imaging frame", ndim=2)
        start_time = common.read_text(f, "/session_start_time")
    if duration.shape != (shown.shape[0], 2):
        raise common.ConversionError(f"{path}: {stimulus_path}/frame_duration: shape {duration.shape}; expected [{shown.shape[0]}, 2] (start, end of each presentation)")
    if not np.isfinite(shown).all() or (shown != np.round(shown)).any() or (shown < 0).any() or (shown >= options.movie_frames).any():
        raise common.ConversionError(f"{path}: {stimulus_path}/data: movie frames must be integers in 0..{options.movie_frames - 1}")
    if not np.isfinite(duration).all() or (duration != np.round(duration)).any() or (duration[:, 0] < 0).any() or (duration[:, 1] > frames).any() or (duration[:, 1] <= duration[:, 0]).any():
        raise common.ConversionError(f"{path}: {stimulus_path}/frame_duration: every presentation needs integer imaging frames 0 <= start < end <= {frames}")
    shown = shown.astype(np.int64)
    duration = duration.astype(np.int64)
    # repeats: a new pass starts where the movie frame index decreases
    starts = np.concatenate([[0], np.flatnonzero(np.diff(shown) < 0) + 1, [shown.shape[0]]])
    blocks = options.movie_frames // options.block_frames
    responses = np.full((blocks, len(starts) - 1, cells), np.nan)
    for r in range(len(starts) - 1):
        rows = np.arange(starts[r], starts[r + 1])
        for b in range(blocks):
            first, last = b * options.block_frames, (b + 1) * options.block_frames - 1
            members = rows[(shown[rows] >= first) & (shown[rows] <= last)]
            if np.unique(shown[members]).size != options.block_frames:
                continue  # the block was not shown whole in this repeat: a missing trial
            begin, end = duration[members[0], 0], duration[members[-1], 1]
            if end <= begin:
                raise common.ConversionError(f"{path}: {stimulus_path}/frame_duration: block {b} of repeat {r} ends (frame {end}) before it starts ({begin})")
            responses[b, r] = dff[:, begin:end].mean(axis=1)
    return ids, responses, start_time


def convert(argv):
    import numpy as np
    options = arguments(argv)
    ids_per_file, responses_per_file, start_times = [], [], []
    for path in options.sessions:
        ids, responses, start_time = read_session(path, options)
        ids_per_file.append(ids)
        responses_per_file.append(responses)
        start_times.append(start_time)
    common_ids, columns = common.match_cells(ids_per_file, options.sessions, f"{PIPELINE}/ImageSegmentation/cell_specimen_ids")
    repeats = max(r.shape[1] for r in responses_per_file)
    blocks = responses_per_file[0].shape[0]
    recording = np.full((len(options.sessions), blocks, repeats, common_ids.size), np.nan)
    for s, (responses, column) in enumerate(zip(responses_per_file, columns)):
        recording[s, :, :responses.shape[1], :] = responses[:, :, column]
    days = common.parse_days(options.days, len(options.sessions)) if options.days else common.days_from_start_times(start_times)
    names = [f"{options.movie} block {b} (movie frames {b * options.block_frames}..{(b + 1) * options.block_frames - 1})" for b in range(blocks)]
    stimulus_path = f"/stimulus/presentation/{options.movie}_stimulus"
    common.write_recording(
        options.output, recording, neuron_id=common_ids, session_day=days, stimulus_name=names,
        response_units="dF/F (mean over the block's imaging frames)",
        source="Allen Brain Observatory Visual Coding NWB 1 via convert-allen-nwb1.py: " + ", ".join(os.path.basename(p) for p in options.sessions),
        overwrite=options.overwrite, files=options.sessions, neuron_path=f"{PIPELINE}/DfOverF/{options.plane}/data", trial_path=stimulus_path)


if __name__ == "__main__":
    sys.exit(common.run("convert-allen-nwb1", convert, sys.argv[1:]))
