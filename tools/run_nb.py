"""Execute a notebook in place, keeping its outputs: every cell, `slow` ones included (`cuda` ones only
where a GPU is present). This is how the committed outputs of the real runs are made.

Usage, from the repository root:
    WASTE_CBAM_DATA=/path/to/data python tools/run_nb.py nbs/03_trainer.ipynb
    WASTE_CBAM_DATA=/path/to/data python tools/run_nb.py nbs/08_ablation.ipynb --skip slow
With `--skip slow` the `slow` cells are not run and keep the outputs of their last real run; every other
cell is run and gets fresh outputs (for a chapter whose tests or prose changed, not its long runs).
`--run ID ...` runs the cells with these ids even when their flags are skipped (a new slow cell, say)."""
import sys, os, time, argparse, re
from pathlib import Path
from execnb.shell import CaptureShell
import torch

def flags(src): return {f for l in src.splitlines() if (m := re.match(r'^\s*#\s*\|\s*(\w+)\s*$', l)) for f in [m.group(1)]}

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebook'); ap.add_argument('--skip', nargs='*', default=[], help="cell flags not to run, e.g. slow")
    ap.add_argument('--run', nargs='*', default=[], help="ids of cells to run whatever their flags")
    a = ap.parse_args()
    p = Path(a.notebook).resolve()
    os.chdir(p.parent)  # notebooks run from nbs/, as nbdev_test runs them
    t = time.time()
    skip_flags = set(a.skip) | (set() if torch.cuda.is_available() else {'cuda'})
    skip = lambda c: c.cell_type == 'code' and bool(flags(c.source) & skip_flags) and c.get('id') not in a.run
    CaptureShell().execute(p, p, exc_stop=True, preproc=skip)
    print(f'{p.name}: executed in {time.time() - t:.0f}s (skipped cells flagged {sorted(skip_flags) or "none"})')
