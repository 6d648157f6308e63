#!/bin/sh
# bad_input.sh REPDRIFT REPORT WORKDIR PYTHON ARCHIVE
# Every bad input must fail with a non-zero exit and a message naming what to fix, and must leave an
# existing archive byte-for-byte untouched (even when -overwrite is given with the bad option).
set -u
exe=$1; report=$2; work=$3; python=$4; good_archive=$5
rm -rf "$work"; mkdir -p "$work"
victim=$work/victim.h5
cp "$good_archive" "$victim"
before=$(md5sum < "$victim")
passed=0; failed=0
quick="-burnin_steps 10 -days 1 -steps_per_day 10 -probe_samples 8 -sweep_seeds 1"

# expect_failure NAME EXPECTED_TEXT COMMAND...
expect_failure() {
  name=$1; expected=$2; shift 2
  output=$("$@" 2>&1); code=$?
  if [ $code -eq 0 ]; then
    echo "FAIL $name: exit code 0"; failed=$((failed + 1)); return
  fi
  if ! printf '%s' "$output" | grep -qF -- "$expected"; then
    echo "FAIL $name: message does not mention '$expected':"; printf '%s\n' "$output" | head -20; failed=$((failed + 1)); return
  fi
  if [ "$(md5sum < "$victim")" != "$before" ]; then
    echo "FAIL $name: the existing archive was modified"; failed=$((failed + 1)); cp "$good_archive" "$victim"; return
  fi
  echo "ok   $name (exit $code)"; passed=$((passed + 1))
}

bad() { expect_failure "$1" "$2" "$exe" $quick -output "$victim" -overwrite $3; }
bad "width zero"            "-sweep_width"      "-sweep_width 0"
bad "width negative"        "-sweep_width"      "-sweep_width 8,-3"
bad "width no values"       "-sweep_width was given no values" "-sweep_width"
bad "frequency one"         "-sweep_frequency"  "-sweep_frequency 1"
bad "frequency zero"        "-sweep_frequency"  "-sweep_frequency 0,0.5"
bad "frequency above one"   "-sweep_frequency"  "-sweep_frequency 1.5"
bad "frequency nan"         "-sweep_frequency"  "-sweep_frequency nan"
bad "dropout one"           "-sweep_dropout"    "-sweep_dropout 1"
bad "dropout negative"      "-sweep_dropout"    "-sweep_dropout -0.1"
bad "empty sweep"           "-sweep_seeds"      "-sweep_seeds 0"

# the classifier and the autoencoder: options of another model, bad noise sources and levels, data files
classifier_quick="-model classifier -burnin_epochs 1 -epochs 1 -snapshots_per_epoch 2 -probe_samples 8 -sweep_seeds 1 -num_classes 3 -train_per_class 10"
badc() { expect_failure "$1" "$2" "$exe" $classifier_quick -output "$victim" -overwrite $3; }
bada() { expect_failure "$1" "$2" "$exe" -model autoencoder -burnin_steps 10 -days 1 -steps_per_day 10 -probe_samples 8 -sweep_seeds 1 -output "$victim" -overwrite $3; }
badc "classifier with -days"          "-days does not apply to -model classifier"  "-days 3"
badc "unknown noise source"           "unknown noise source 'dropout'"           "-sweep_noise_type node_dropout,dropout"
badc "noise and noise list"           "either -noise or -sweep_noise_type"         "-noise additive -sweep_noise_type none"
badc "dropout level one"              "-sweep_noise_level"                        "-noise node_dropout -sweep_noise_level 1"
badc "negative noise std"             "-sweep_noise_level"                        "-noise additive -sweep_noise_level -0.5"
badc "noise level and dropout axis"   "name the same axis"                        "-sweep_noise_level 0.1 -sweep_dropout 0.2"
badc "linear data for classifier"     "-data e3 is a task of -model linear"        "-data e3"
badc "missing data file"              "$work/none.h5"                              "-data $work/none.h5"
badc "probe classes above classes"    "-probe_classes"                            "-probe_classes 5"
badc "momentum one"                   "-momentum"                                 "-momentum 1"
badc "plateau cap below burn-in"      "-burnin_max_epochs"                        "-burnin_epochs 5 -burnin_max_epochs 2"
bad  "classifier option for linear"   "-epochs does not apply to -model linear"    "-epochs 3"
bad  "noise source for linear"        "-noise does not apply to -model linear"     "-noise additive"
bad  "classifier data for linear"     "-data mixture is for -model classifier"     "-data mixture"
bada "autoencoder with -data"         "-data does not apply to -model autoencoder" "-data e3"
bada "corner cut outside"             "-corner_cut"                               "-corner_cut 4"
bada "sources file without file"      "-sources_file"                             "-sources file"
bada "missing sources file"           "$work/none.h5"                             "-sources file -sources_file $work/none.h5"
bada "frequency on 3-D sources"       "needs -sources grid"                       "-sources cube -sweep_frequency 0.1"
bada "activity cost zero"             "-activity_l2"                              "-activity_l2 0"
bad "unknown option"        "-frobnicate"       "-frobnicate 3"
bad "misspelt option"       "-sweep_widht"      "-sweep_widht 4"
bad "learning rate inf"     "-lr"               "-lr inf"
bad "learning rate zero"    "-lr"               "-lr 0"
bad "too few probes"        "-probe_samples"    "-probe_samples 2"
bad "one stimulus"          "-num_stimuli"      "-num_stimuli 1"
bad "unknown model"         "-model"            "-model perceptron"
expect_failure "existing output without -overwrite" "-overwrite" "$exe" $quick -output "$victim"
expect_failure "output directory missing" "does not exist" "$exe" $quick -output "$work/no/such/dir/out.h5"
expect_failure "output under a file" "-output" "$exe" $quick -output "$victim/out.h5"
printf 'sweep_width: [8, 16\n  - : :\n' > "$work/malformed.yaml"
expect_failure "malformed YAML options file" "check -options_file $work/malformed.yaml" "$exe" $quick -output "$victim" -overwrite -options_file "$work/malformed.yaml"
expect_failure "missing options file" "check -options_file $work/no_such.yaml" "$exe" $quick -output "$victim" -overwrite -options_file "$work/no_such.yaml"

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
