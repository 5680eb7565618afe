"""What a user's first `waste_cbam_train DATA --preset cpu` costs before its first epoch, and on disk (issue #20).

Usage: python benchmarks/first_run.py [DATA_DIR] [--preset cpu] [--threads N] [--out PREFIX]

With an empty image cache (WASTE_CBAM_CACHE pointed at a fresh folder, as on a new machine), in one process:
finding and auditing every file (decoded once, hashed), the split, and decoding the splits into the cache; then
the same setup again, as every later run finds it; then the files of a run folder, from one epoch of the preset
on a few images (checkpoint sizes depend on the model, the optimiser and the callbacks, not on the data). Prints the seconds and the sizes.

Writes benchmarks/results/first_run.csv (one row per measurement) and .txt (the record of the run); --out changes where."""
import argparse, os, shutil, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out

def mib(p:Path)->float:
    "Size of a file, or of everything under a folder, in MiB."
    p = Path(p)
    return (p.stat().st_size if p.is_file() else sum(f.stat().st_size for f in p.rglob('*') if f.is_file())) / 2**20

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data_dir', nargs='?', default=os.environ.get('WASTE_CBAM_DATA'))
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--threads', type=int, default=0, help="torch threads (0: torch's default, one per core)")
    ap.add_argument('--out', default=default_out('first_run'), help='writes OUT.csv and OUT.txt')
    a = ap.parse_args()
    if not a.data_dir: ap.error('give DATA_DIR or set WASTE_CBAM_DATA')
    if a.threads: torch.set_num_threads(a.threads)
    work = Path(tempfile.mkdtemp(prefix='first_run_'))
    os.environ['WASTE_CBAM_CACHE'] = str(work/'cache')   # read by the package at each call: an empty cache, as on a new machine
    from waste_cbam.trainer import Trainer, preset
    rows = []
    def row(what, seconds=None, size=None, note=''):
        rows.append(dict(what=what, seconds=seconds, mib=size, note=note))
        print(f"{what:<52} {'' if seconds is None else f'{seconds:8.1f} s'} {'' if size is None else f'{size:9.1f} MiB'}  {note}")
    with Record('first_run', a.out, f"setup and disk of a first `waste_cbam_train --preset {a.preset}`") as rec:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, data {a.data_dir}, preset {a.preset}")
        try:
            cfg = preset(a.preset, data=a.data_dir, out_dir=str(work/'runs'), name='first')
            t0 = time.perf_counter(); t = Trainer(cfg, progress=False); first = time.perf_counter() - t0
            row('setup, empty cache: audit, split, decode into the cache', first,
                note=f"{len(t.data.index)} photos in the index, sides {cfg.img_size}/{cfg.eval_size} px")
            for f in sorted((work/'cache').rglob('*')):
                if f.is_file() and mib(f) >= 1: row(f'  cache file {f.relative_to(work/"cache")}', size=mib(f))
            row('image cache, all files', size=mib(work/'cache'), note=f'under WASTE_CBAM_CACHE ({work/"cache"})')
            t0 = time.perf_counter(); t = Trainer(cfg.replace(name='second'), progress=False); again = time.perf_counter() - t0
            row('setup again, cache filled (every later run)', again)
            # the checkpoints as training writes them (AdamW's moments and the callbacks' state exist once a step was
            # taken): one epoch of the preset on a few images, whose sizes are those of any run of the preset
            s = Trainer(cfg.replace(name='sizes', limit=64, epochs=1), progress=False); s.fit()
            for f in ('config.json', 'history.csv', 'result.json', 'best.pt', 'last.pt'): row(f'run folder: {f}', size=mib(s.run.path/f))
            row('run folder, all files (figures included)', size=mib(s.run.path), note='index.csv of the whole data set: about 2.6 MiB more')
            rec.save(rows, data=a.data_dir, preset=a.preset)
        finally: shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
