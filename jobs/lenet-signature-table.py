#!/usr/bin/env python3
"""lenet-signature-table.py ARCHIVE: the drift signature of each noise source of a classifier
archive (jobs/lenet-experiment.sh) as a Markdown table, and its ranking against Aitken et al. 2022.

Numbers: the repdrift package's signature figure (repdrift-plot's signature.csv): per noise source
the mean over its done points (seeds) with the 95 % t interval, beside its delta t = 0 null (a
second probe of the same weights). A metric "separates from its null" when the two intervals are
disjoint.

Ranking: for each source, the mean relative distance |measured - paper| / |paper| over the values
the paper gives (Aitken K, Garrett M, Olsen S, Mihalas S (2022) The geometry of representational
drift in natural and artificial neural networks. PLoS Comput Biol 18(11): e1010716):
  node-dropout ANN (their CNN, 84 feature units, p = 0.5; the text's numbers): share of variance in
    the variational space 0.82, D/n 0.070, relative cross accuracy 0.86, angle between consecutive
    classifiers 71 deg, readout rotation over 5 epochs 2.6 deg;
  mouse V1 (passive, section 2.1; repdrift's paper-v1 reference, src/reference_v1.c): D/n 0.05,
    variance share 0.91, session discrimination 0.68, gamma about 0.5, classifier angle about 57 deg.
Smaller is closer. The V1 session discrimination is between days; the network's is between
snapshots 0.1 epoch apart: the same classifier, not the same time scale.
"""
import math
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
for candidate in (os.path.join(here, "..", "python"), os.path.join(here, "python")):
    if os.path.isdir(os.path.join(candidate, "repdrift")):
        sys.path.insert(0, candidate)
        break
from repdrift.figures import Data, READOUT_PANEL, SIGNATURE_METRICS, compute_signature  # noqa: E402

PANEL = {metric: panel for panel, metric, *_ in SIGNATURE_METRICS}
PANEL["readout_rotation_5_epochs"] = READOUT_PANEL
NODE_ANN = {"variance_in_variational_space": 0.82, "participation_ratio_per_unit": 0.070,
            "relative_cross_accuracy": 0.86, "classifier_angle": 71.0, "readout_rotation_5_epochs": 2.6}
V1 = {"participation_ratio_per_unit": 0.05, "variance_in_variational_space": 0.91,
      "day_discrimination_accuracy": 0.68, "fraction_in_variational_space": 0.5, "classifier_angle": 57.0}
SHOWN = ("angle_slope", "angle_r", "angle_to_pc1", "variance_flow_loglog_slope", "fraction_in_variational_space",
         "variance_in_variational_space", "participation_ratio_per_unit", "relative_cross_accuracy",
         "classifier_angle", "day_discrimination_accuracy", "readout_rotation_5_epochs")


def main():
    table = compute_signature(Data(sys.argv[1]))
    measured, null, names = {}, {}, []
    for panel, series, kind, x, name, y, low, high, n in table.rows:
        if kind == "mean" and (series == "measured" or series.startswith("measured after 5")):
            measured[(panel, name)] = (y, low, high, n)
            if name not in names:
                names.append(name)
        elif kind == "null":
            null[(panel, name)] = (y, low, high, n)
    if READOUT_PANEL not in {p for p, _ in measured}:
        sys.exit("lenet-signature-table: the run is shorter than 5 epochs (no 5-epoch readout rotation)")
    print("| metric | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    separated = {name: [] for name in names}
    for metric in SHOWN:
        cells = []
        for name in names:
            y, low, high, n = measured[(PANEL[metric], name)]
            cell = f"{y:.3g} [{low:.3g}, {high:.3g}]"
            if (PANEL[metric], name) in null:
                ny, nlow, nhigh, _ = null[(PANEL[metric], name)]
                apart = high < nlow or low > nhigh
                cell += f"<br>null {ny:.3g} [{nlow:.3g}, {nhigh:.3g}]" + (" **≠**" if apart else "")
                if apart:
                    separated[name].append(metric)
            cells.append(cell)
        print(f"| {metric} | " + " | ".join(cells) + " |")
    print(f"\nn per source: {', '.join(f'{name} {measured[(PANEL[SHOWN[0]], name)][3]}' for name in names)}; "
          "mean [95 % t interval]; **≠**: intervals of measured and null disjoint.\n")
    for name in names:
        print(f"- {name}: separates from its null in {len(separated[name])} metric(s): {', '.join(separated[name]) or 'none'}")
    for title, reference in (("node-dropout ANN (Aitken et al. 2022)", NODE_ANN), ("mouse V1 (Aitken et al. 2022, section 2.1)", V1)):
        distance = {name: sum(abs(measured[(PANEL[m], name)][0] - v) / abs(v) for m, v in reference.items()) / len(reference)
                    for name in names}
        ranked = sorted(names, key=lambda name: (math.isnan(distance[name]), distance[name]))
        print(f"\nRanking against the {title}, mean |measured - paper| / |paper| over {', '.join(reference)}:")
        print("  " + "; ".join(f"{i + 1}. {name} {distance[name]:.3f}" for i, name in enumerate(ranked)))


if __name__ == "__main__":
    main()
