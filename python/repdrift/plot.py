"""repdrift-plot ARCHIVE [-o DIR] [--format png,pdf,svg] [--only NAME,...] | repdrift-plot --list

Writes the figures of a repdrift archive into DIR (default: ARCHIVE without .h5, plus
"-figures"): for each figure NAME.png (and .pdf/.svg as asked), NAME.csv with exactly the plotted
numbers, and index.html showing every figure with its caption; summary.csv holds the report's
headline columns averaged over seeds (repdrift.summary). Figures whose data the archive does not
hold are skipped with a note (index and stderr). Also runnable as `python3 -m repdrift.plot`.

Exit status: 0 when the index was written (skipped figures included), 2 for a path that is not a
valid repdrift archive (checked as every reader checks it, README "Integrity": also one whose points
fail their checksums) or a bad option (one line on stderr).
"""
import argparse
import csv
import datetime
import html
import io
import math
import os
import sys

from . import __version__
from .archive import ArchiveError, SWEEP_DIMS, STATUS_NAMES
from .figures import FIGURES, FIGURE_NAMES, ROW_COLUMNS, Data, Skip, unmet_needs
from .summary import summary, summary_csv_header, summary_csv_rows

FORMATS = ("png", "pdf", "svg")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see repdrift-plot -h)")


def _parse(argv):
    parser = _Parser(prog="repdrift-plot", description=__doc__.split("\n\n")[1],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive", nargs="?", help="a repdrift archive (.h5)")
    parser.add_argument("-o", "--output", help="output directory (created; existing figures in it are replaced)")
    parser.add_argument("--format", default="png", help="comma list of png, pdf, svg (default png)")
    parser.add_argument("--only", help="comma list of figure names (default: all; --list shows them)")
    parser.add_argument("--list", action="store_true", help="list the figure names and exit")
    args = parser.parse_args(argv)
    if args.archive is None and not args.list:
        raise UsageError("the following arguments are required: archive")
    args.formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in args.formats if f not in FORMATS]
    if bad or not args.formats:
        raise UsageError(f"--format: unknown format '{bad[0] if bad else args.format}' (use png, pdf or svg)")
    args.names = list(FIGURE_NAMES)
    if args.only:
        args.names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in args.names if n not in FIGURE_NAMES]
        if unknown or not args.names:
            raise UsageError(f"--only: unknown figure '{unknown[0] if unknown else args.only}' (figures: {', '.join(FIGURE_NAMES)})")
    if args.output is None and args.archive is not None:
        stem = args.archive[:-3] if args.archive.endswith(".h5") else args.archive
        args.output = stem + "-figures"
    return args


def provenance_lines(data, created):
    p = data.provenance
    return [f"archive: {p['archive']}",
            f"archive written by repdrift {p.get('program_version', '?')} (git {p.get('git_revision', '?')}), created "
            f"{p.get('created', '?')}, status {p.get('status', '?')}, model {data.axes.model}, protocol {data.axes.protocol}",
            f"plotted by repdrift-plot {__version__} at {created}"]


def _write_atomic(path, write):
    """Writes PATH through a temporary file in the same directory, renamed over it when complete."""
    temporary = f"{path}.tmp{os.getpid()}"
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _number(x):
    """A CSV cell: floats in the shortest form that reads back as the same double, NaN empty."""
    return "" if isinstance(x, float) and math.isnan(x) else (repr(x) if isinstance(x, float) else str(x))


def write_csv(path, table, header_lines):
    def write(temporary):
        with open(temporary, "w", newline="", encoding="utf-8") as out:
            for line in header_lines:
                out.write(f"# {line}\n")
            writer = csv.writer(out)
            writer.writerow(ROW_COLUMNS)
            for row in table.rows:
                writer.writerow([_number(v) for v in row])
    _write_atomic(path, write)


def write_summary(path, data, header_lines):
    ds = summary(data.path)
    def write(temporary):
        with open(temporary, "w", newline="", encoding="utf-8") as out:
            for line in header_lines:
                out.write(f"# {line}\n")
            out.write("# headline columns of the report per point (repdrift.point_summaries), mean / standard error "
                      "(ddof=1) / n over the done seeds of each combination; n_not_done: seeds left out\n")
            writer = csv.writer(out)
            writer.writerow(summary_csv_header())
            writer.writerows(summary_csv_rows(ds))
    _write_atomic(path, write)


def sweep_description(data):
    parts = []
    for axis in SWEEP_DIMS:
        values = data.axes.values[axis]
        if values is None:
            levels = ", ".join(f"{t} {l:g}" for t, l in zip(data.axes.values["noise_type"], data.axes.level_of_type))
            parts.append(f"noise_level: each type at its own level ({levels})")
        else:
            shown = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values.tolist())
            parts.append(f"{axis}: {shown}")
    counts = {STATUS_NAMES.get(int(s), str(s)): int((data.axes.status == s).sum()) for s in sorted(set(data.axes.status.tolist()))}
    return parts, ", ".join(f"{n} {name}" for name, n in counts.items())


def write_index(path, data, entries, skipped, formats, header_lines, has_summary):
    axes_lines, status_line = sweep_description(data)
    out = io.StringIO()
    e = html.escape
    out.write("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
    out.write(f"<title>repdrift figures: {e(os.path.basename(data.path))}</title>\n")
    out.write("<style>body{font-family:sans-serif;max-width:1750px;margin:1em auto;padding:0 1em;line-height:1.4}"
              "figure{margin:2em 0;border-top:1px solid #ccc;padding-top:1em}img{max-width:100%;height:auto}"
              "figcaption{max-width:70em}.prov{color:#555;font-size:90%}</style></head><body>\n")
    out.write(f"<h1>repdrift figures of {e(os.path.basename(data.path))}</h1>\n<p class=\"prov\">")
    out.write("<br>\n".join(e(line) for line in header_lines))
    out.write("</p>\n<p>Sweep: " + e(f"{data.axes.n_points} points ({status_line}); model {data.axes.model}, protocol "
                                    f"{data.axes.protocol}.") + "<br>\n")
    out.write("<br>\n".join(e(line) for line in axes_lines) + "</p>\n")
    out.write("<p>Every figure has a CSV of exactly the plotted numbers next to it (columns: panel, series, kind, x, "
              "x_label, y, y_low, y_high, n; y_low/y_high: the error bar or band; n: the number of values behind a "
              "mean). Points not done (pending, diverged, failed) are left out of every figure.")
    if has_summary:
        out.write(" <a href=\"summary.csv\">summary.csv</a>: the report's headline columns, mean, standard error and n "
                  "over seeds for every combination of the other axes.")
    out.write("</p>\n")
    if skipped:
        out.write("<h2>Skipped</h2>\n<ul>\n")
        for name, reason in skipped:
            out.write(f"<li><b>{e(name)}</b>: {e(reason)}</li>\n")
        out.write("</ul>\n")
    for spec, table, size in entries:
        out.write(f"<figure id=\"{e(spec.name)}\">\n<h2>{e(spec.title)}</h2>\n")
        shown = next((f for f in ("png", "svg") if f in formats), None)
        if shown:
            out.write(f"<img src=\"{e(spec.name)}.{shown}\" width=\"{size[0]}\" height=\"{size[1]}\" alt=\"{e(spec.title)}\">\n")
        links = " ".join(f"<a href=\"{e(spec.name)}.{f}\">{f}</a>" for f in formats)
        out.write(f"<figcaption><b>{e(spec.name)}</b>. {e(spec.caption)} {e(' '.join(table.notes))} "
                  f"<br>Files: {links} <a href=\"{e(spec.name)}.csv\">csv</a> ({len(table.rows)} rows); "
                  f"image {size[0]} x {size[1]} pixels.</figcaption>\n</figure>\n")
    out.write("</body></html>\n")

    def write(temporary):
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(out.getvalue())
    _write_atomic(path, write)


def make_figures(archive, output, formats=("png",), names=FIGURE_NAMES, log=sys.stderr):
    """Writes the figures NAMES of ARCHIVE into OUTPUT; returns (written specs, [(name, reason) skipped])."""
    from .draw import draw_table, image_size
    import matplotlib.pyplot as plt

    data = Data(archive)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = provenance_lines(data, created)
    os.makedirs(output, exist_ok=True)
    entries, skipped = [], []
    for spec in FIGURES:
        if spec.name not in names:
            continue
        unmet = unmet_needs(data, spec)
        try:
            if unmet:
                raise Skip(unmet)
            table = spec.compute(data)
            if not table.rows:
                raise Skip("nothing to plot at the done points")
        except Skip as reason:
            skipped.append((spec.name, str(reason)))
            print(f"repdrift-plot: skipped {spec.name}: {reason}", file=log)
            continue
        size = image_size(spec, table)
        fig = (spec.draw or draw_table)(table, spec, " | ".join(header))
        for fmt in formats:
            _write_atomic(os.path.join(output, f"{spec.name}.{fmt}"),
                          lambda temporary, fmt=fmt: fig.savefig(temporary, format=fmt, dpi=fig.dpi))
        plt.close(fig)
        write_csv(os.path.join(output, f"{spec.name}.csv"), table,
                  header + [f"figure {spec.name}: {spec.title}", f"image: {size[0]} x {size[1]} pixels"] + table.notes)
        entries.append((spec, table, size))
    has_summary = data.has("/drift/fraction_in_variational_space") and data.has("/task/loss")
    if has_summary:
        write_summary(os.path.join(output, "summary.csv"), data, header)
    write_index(os.path.join(output, "index.html"), data, entries, skipped, formats, header, has_summary)
    return entries, skipped


def main(argv=None):
    try:
        args = _parse(sys.argv[1:] if argv is None else argv)
        if args.list:
            for spec in FIGURES:
                print(f"{spec.name:22s} {spec.title}")
            return 0
        if os.path.exists(args.output) and not os.path.isdir(args.output):
            raise UsageError(f"-o {args.output}: exists and is not a directory")
        try:
            entries, skipped = make_figures(args.archive, args.output, args.formats, args.names)
        except PermissionError as error:
            raise UsageError(f"-o {args.output}: cannot write ({error.strerror})") from None
    except (ArchiveError, UsageError) as error:
        print(f"repdrift-plot: {error}", file=sys.stderr)
        return 2
    print(f"repdrift-plot: {len(entries)} figures, {len(skipped)} skipped: {os.path.join(args.output, 'index.html')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
