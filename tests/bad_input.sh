#!/bin/sh
# bad_input.sh REPDRIFT REPORT WORKDIR PYTHON ARCHIVE MPIEXEC
# Every bad input must be refused with exit status 2 and one line on stderr naming what to fix
# (tests/user_error.sh), printed once on 2 and 3 ranks too, and must leave an existing archive
# byte-for-byte untouched (even when -overwrite is given with the bad option).
set -u
exe=$1; report=$2; work=$3; python=$4; good_archive=$5; mpiexec=$6
. "$(dirname "$0")/user_error.sh"
rm -rf "$work"; mkdir -p "$work"
victim=$work/victim.h5
cp "$good_archive" "$victim"
before=$(md5sum < "$victim")
passed=0; failed=0
quick="-burnin_steps 10 -days 1 -steps_per_day 10 -probe_samples 8 -sweep_seeds 1"

# expect_failure NAME EXPECTED_TEXT COMMAND...: a user error of PROGRAM (the command's basename,
# or repdrift under mpiexec), and the victim archive unchanged
expect_failure() {
  name=$1; expected=$2; shift 2
  case "$1" in "$mpiexec") program=repdrift ;; *) program=$(basename "$1") ;; esac
  if ! expect_user_error "$name" "$program" "$expected" "$@"; then failed=$((failed + 1)); return; fi
  if [ "$(md5sum < "$victim")" != "$before" ]; then
    echo "FAIL $name: the existing archive was modified"; failed=$((failed + 1)); cp "$good_archive" "$victim"; return
  fi
  passed=$((passed + 1))
}

bad() { expect_failure "$1" "$2" "$exe" $quick -output "$victim" -overwrite $3; }
bad "width zero"            "-sweep_width values must be in [1, 65536] (got 0)" "-sweep_width 0"
bad "width negative"        "-sweep_width"      "-sweep_width 8,-3"
bad "width no values"       "-sweep_width was given no values" "-sweep_width"
bad "frequency one"         "-sweep_frequency values must be in (0, 1) (got 1): it is the presentation probability of stimulus 0" "-sweep_frequency 1"
bad "frequency zero"        "-sweep_frequency"  "-sweep_frequency 0,0.5"
bad "frequency above one"   "-sweep_frequency"  "-sweep_frequency 1.5"
bad "frequency nan"         "(got nan)"         "-sweep_frequency nan"
bad "dropout one"           "-sweep_dropout"    "-sweep_dropout 1"
bad "dropout negative"      "-sweep_dropout"    "-sweep_dropout -0.1"
bad "empty sweep"           "-sweep_seeds must be in [1, 1000000] (got 0)" "-sweep_seeds 0"
bad "days negative"         "-days must be in [1, 10000] (got -1)" "-days -1"
bad "days not a number"     "-days abc"         "-days abc"
# repeated or empty entries of a sweep axis would compute the same points twice, or a sweep not asked for
bad "width empty entry"     "-sweep_width 8,,8 has an empty entry" "-sweep_width 8,,8"
bad "width trailing comma"  "-sweep_width 8,16, has an empty entry" "-sweep_width 8,16,"
bad "width repeated"        "-sweep_width: the value 8 is repeated" "-sweep_width 8,16,8"
bad "frequency repeated"    "-sweep_frequency: the value 0.5 is repeated" "-sweep_frequency 0.5,0.5"
bad "dropout repeated"      "-sweep_dropout: the value 0 is repeated" "-sweep_dropout 0,0.2,0"
bad "learning rate repeated" "-sweep_lr: the value 0.1 is repeated" "-sweep_lr 0.1,0.1"

# the classifier and the autoencoder: options of another model, bad noise sources and levels, data files
classifier_quick="-model classifier -burnin_epochs 1 -epochs 1 -snapshots_per_epoch 2 -probe_samples 8 -sweep_seeds 1 -num_classes 3 -train_per_class 10"
badc() { expect_failure "$1" "$2" "$exe" $classifier_quick -output "$victim" -overwrite $3; }
bada() { expect_failure "$1" "$2" "$exe" -model autoencoder -burnin_steps 10 -days 1 -steps_per_day 10 -probe_samples 8 -sweep_seeds 1 -output "$victim" -overwrite $3; }
badc "classifier with -days"          "-days does not apply to -model classifier"  "-days 3"
badc "unknown noise source"           "-sweep_noise_type: 'dropout' is not one of none, node_dropout" "-sweep_noise_type node_dropout,dropout"
badc "noise source repeated"          "-sweep_noise_type: the value none is repeated" "-sweep_noise_type none,additive,none"
badc "noise and noise list"           "either -noise or -sweep_noise_type"         "-noise additive -sweep_noise_type none"
badc "dropout level one"              "-sweep_noise_level"                        "-noise node_dropout -sweep_noise_level 1"
badc "negative noise std"             "-sweep_noise_level"                        "-noise additive -sweep_noise_level -0.5"
badc "noise level and dropout axis"   "Give either -sweep_noise_level or -sweep_dropout, not both" "-sweep_noise_level 0.1 -sweep_dropout 0.2"
badc "linear data for classifier"     "-data e3 is a task of -model linear"        "-data e3"
classifier_file="-model classifier -burnin_epochs 1 -epochs 1 -snapshots_per_epoch 2 -probe_samples 8 -sweep_seeds 1"
expect_failure "missing data file" "Cannot read $work/none.h5" "$exe" $classifier_file -output "$victim" -overwrite -data "$work/none.h5"
echo "not hdf5" > "$work/text_data.h5"
expect_failure "data file not HDF5" "$work/text_data.h5 is not an HDF5 file" "$exe" $classifier_file -output "$victim" -overwrite -data "$work/text_data.h5"
badc "classes of a data file"         "-num_classes does not apply to -data $work/text_data.h5" "-data $work/text_data.h5"
badc "probe classes above classes"    "-probe_classes must be in [2, number of classes = 3] (got 5)" "-probe_classes 5"
badc "momentum one"                   "-momentum must be in [0, 1) (got 1)"        "-momentum 1"
badc "plateau cap below burn-in"      "-burnin_max_epochs"                        "-burnin_epochs 5 -burnin_max_epochs 2"
bad  "classifier option for linear"   "-epochs does not apply to -model linear: it is an option of -model classifier" "-epochs 3"
bad  "noise source for linear"        "-noise does not apply to -model linear"     "-noise additive"
bad  "classifier data for linear"     "-data mixture is for -model classifier"     "-data mixture"
bad  "autoencoder option for linear"  "-corner_cut does not apply to -model linear: it is an option of -model autoencoder" "-corner_cut 2"
bad  "replica option out of range"    "-replicas must be in [2, 1000000] (got 1)"  "-protocol replicas -replicas 1"
bada "autoencoder with -data"         "-data does not apply to -model autoencoder" "-data e3"
bada "corner cut outside"             "-corner_cut must be in (0, 4) (got 4)"      "-corner_cut 4"
bada "sources file without file"      "-sources_file"                             "-sources file"
bada "missing sources file"           "$work/none.h5"                             "-sources file -sources_file $work/none.h5"
bada "frequency on 3-D sources"       "needs -sources grid"                       "-sources cube -sweep_frequency 0.1"
bada "activity cost zero"             "-activity_l2 must be a finite number > 0 (got 0)" "-activity_l2 0"
bada "unknown optimizer"              "-optimizer: 'adagrad' is not one of adam, sgd" "-optimizer adagrad"
bad "unknown option"        "-frobnicate"       "-frobnicate 3"
bad "misspelt option"       "-sweep_widht"      "-sweep_widht 4"
bad "learning rate inf"     "-lr must be a finite number > 0 (got inf)" "-lr inf"
bad "learning rate zero"    "-lr"               "-lr 0"
bad "too few probes"        "-probe_samples must be in [4, 1000000] (got 2): split halves need two samples each" "-probe_samples 2"
bad "one stimulus"          "-num_stimuli"      "-num_stimuli 1"
bad "unknown model"         "-model: 'perceptron' is not one of linear, classifier, autoencoder" "-model perceptron"
expect_failure "existing output without -overwrite" "-overwrite" "$exe" $quick -output "$victim"
expect_failure "output directory missing" "does not exist" "$exe" $quick -output "$work/no/such/dir/out.h5"
expect_failure "output under a file" "-output" "$exe" $quick -output "$victim/out.h5"
printf 'sweep_width: [8, 16\n  - : :\n' > "$work/malformed.yaml"
expect_failure "malformed YAML options file" "check -options_file $work/malformed.yaml" "$exe" $quick -output "$victim" -overwrite -options_file "$work/malformed.yaml"
expect_failure "missing options file" "check -options_file $work/no_such.yaml" "$exe" $quick -output "$victim" -overwrite -options_file "$work/no_such.yaml"

# on 2 and 3 ranks the line is printed once (by rank 0): options read by every rank, a data file
# every rank reads, an archive rank 0 checks
for ranks in 2 3; do
  mpi="$mpiexec -q -n $ranks"
  expect_failure "$ranks ranks: option out of range" "-days must be in [1, 10000] (got -1)" $mpi "$exe" $quick -output "$victim" -overwrite -days -1
  expect_failure "$ranks ranks: repeated axis value" "-sweep_width: the value 8 is repeated" $mpi "$exe" $quick -output "$victim" -overwrite -sweep_width 8,8
  expect_failure "$ranks ranks: unknown option" "-frobnicate" $mpi "$exe" $quick -output "$victim" -overwrite -frobnicate 3
  expect_failure "$ranks ranks: missing data file" "Cannot read $work/none.h5" $mpi "$exe" $classifier_file -output "$victim" -overwrite -data "$work/none.h5"
  expect_failure "$ranks ranks: existing output" "-overwrite" $mpi "$exe" $quick -output "$victim"
  expect_failure "$ranks ranks: malformed options file" "check -options_file $work/malformed.yaml" $mpi "$exe" $quick -output "$victim" -overwrite -options_file "$work/malformed.yaml"
done

# repdrift-report on things that are not (current) repdrift archives
echo "just text" > "$work/text.h5"
expect_failure "report: not HDF5" "not a repdrift archive" "$report" "$work/text.h5"
"$python" -c "import h5py; h5py.File('$work/plain.h5', 'w').create_dataset('x', data=[1, 2])"
expect_failure "report: HDF5 but not repdrift" "not a repdrift archive" "$report" "$work/plain.h5"
cp "$good_archive" "$work/v2.h5"
"$python" -c "import h5py; f = h5py.File('$work/v2.h5', 'r+'); f.attrs['schema_version'] = 2"
expect_failure "report: unknown schema version" "schema_version 2" "$report" "$work/v2.h5"
head -c 4000 "$good_archive" > "$work/truncated.h5"
expect_failure "report: truncated archive" "truncated" "$report" "$work/truncated.h5"
expect_failure "report: missing file" "missing.h5" "$report" "$work/missing.h5"
expect_failure "report: no file" "Usage: repdrift-report FILE" "$report"
expect_failure "report -summary: not HDF5" "not a repdrift archive" "$report" "$work/text.h5" -summary
expect_failure "report -csv: missing file" "missing.h5" "$report" "$work/missing.h5" -csv
expect_failure "report -summary: not a boolean" "-summary maybe" "$report" "$good_archive" -summary maybe
cp "$good_archive" "$work/seeds.h5"
"$python" -c "import h5py; f = h5py.File('$work/seeds.h5', 'r+'); f['sweep/seed'][1] = 0"
expect_failure "report -summary: points out of the sweep's order" "/sweep/seed of point 1 is 0 where /config/options gives 1" "$report" "$work/seeds.h5" -summary -csv

# a sweep that cannot fit in memory is refused before anything runs, with the estimate
bad "sweep larger than memory" "GB per rank" "-sweep_width 60000 -probe_samples 100000 -days 100"
bad "width beyond the limit"   "-sweep_width"  "-sweep_width 100000"
bad "huge seed count"          "-sweep_seeds"  "-sweep_seeds 2000000000"
# -resume on archives it must not trust (both refused, both untouched)
before_v2=$(md5sum < "$work/v2.h5")
expect_failure "resume: other schema version" "cannot be resumed" "$exe" $quick -output "$work/v2.h5" -resume
[ "$(md5sum < "$work/v2.h5")" = "$before_v2" ] || { echo "FAIL resume modified the v2 archive"; failed=$((failed + 1)); }
expect_failure "resume: truncated archive" "cannot be resumed" "$exe" $quick -output "$work/truncated.h5" -resume
expect_failure "resume and overwrite together" "-resume" "$exe" $quick -output "$victim" -resume -overwrite

echo "bad_input: $passed passed, $failed failed"
[ $failed -eq 0 ]
