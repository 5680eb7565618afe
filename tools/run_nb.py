"""Execute a notebook in place, keeping its outputs: every cell, `slow` ones included (`cuda` ones only
where a GPU is present). This is how the committed outputs of the real runs are made.

Usage, from the repository root: WASTE_CBAM_DATA=/path/to/data python tools/run_nb.py nbs/03_trainer.ipynb"""
import sys, os, time
from pathlib import Path
from execnb.shell import CaptureShell
import torch

if __name__ == '__main__':
    p = Path(sys.argv[1]).resolve()
    os.chdir(p.parent)  # notebooks run from nbs/, as nbdev_test runs them
    t = time.time()
    skip = lambda c: c.cell_type == 'code' and '#| cuda' in c.source and not torch.cuda.is_available()
    CaptureShell().execute(p, p, exc_stop=True, preproc=skip)
    print(f'{p.name}: executed in {time.time() - t:.0f}s')
