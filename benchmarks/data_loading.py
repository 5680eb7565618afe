"""Data-loading benchmark: audit time, and images/s of one epoch of the training loader at several sizes,
decoding every image every epoch versus reading the decoded-image cache.

Usage: python benchmarks/data_loading.py [DATA_DIR] [--sizes 64 112 224] [--limit N] [--workers W] [--out PREFIX]
DATA_DIR defaults to $WASTE_CBAM_DATA. Prints one table; ratios are taken within this run.
Writes the table (unrounded) to benchmarks/results/data_loading.csv and the run's record (machine, versions, threads,
audit time, load, command line, everything printed) to benchmarks/results/data_loading.txt; --out changes where."""
import argparse, os, sys, tempfile, time
from pathlib import Path
import pandas as pd, torch
from waste_cbam.data import find_dataset, audit_images, split_index, get_dataloaders, ImageCache, stored_size, default_workers
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out

def epoch(dl):
    "Seconds and images of one pass over a loader."
    t0, n = time.perf_counter(), 0
    for xb, yb in dl: n += len(xb)
    return time.perf_counter() - t0, n

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data_dir', nargs='?', default=os.environ.get('WASTE_CBAM_DATA'))
    ap.add_argument('--sizes', type=int, nargs='+', default=[64, 112, 224])
    ap.add_argument('--limit', type=int, default=None, help='at most this many training images')
    ap.add_argument('--workers', type=int, default=default_workers(), help='loader processes when decoding')
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=default_workers(), help="torch threads of the main process")
    ap.add_argument('--out', default=default_out('data_loading'),
                    help='writes OUT.csv (the table) and OUT.txt (the record of the run)')
    a = ap.parse_args()
    if not a.data_dir: ap.error('give DATA_DIR or set WASTE_CBAM_DATA')
    what = 'audit time, and training-loader images/s decoding every epoch against the decoded-image cache'
    with Record('data_loading', a.out, what) as rec:
        torch.set_num_threads(a.threads)
        print(f"torch {torch.__version__}, {default_workers()} cores, {a.threads} torch threads, {a.workers} decoding processes, data {a.data_dir}")

        t0 = time.perf_counter()
        audit = audit_images(find_dataset(a.data_dir), cache=False)
        t_audit = time.perf_counter() - t0
        print(f"full audit of {len(audit)} files (no cache): {t_audit:.1f}s ({len(audit) / t_audit:.0f} files/s)")
        index = split_index(audit)
        train = index[index.split == 'train']
        if a.limit: train = train.sample(a.limit, random_state=0)
        ix = pd.concat([train, index[index.split != 'train']])

        rows = []
        with tempfile.TemporaryDirectory() as cdir:
            for size in a.sizes:
                kw = dict(size=size, batch_size=a.batch, splits=('train',), verbose=False)
                dec = get_dataloaders(ix, cache=None, num_workers=a.workers, **kw)
                s_dec, n = epoch(dec.train)
                s_dec_raw, _ = epoch(dec.train.dl)       # uint8 batches, before the batch augmentation
                t0 = time.perf_counter(); ImageCache(list(train.path), stored_size(size), cache_dir=cdir, verbose=False)
                s_build = time.perf_counter() - t0
                cached = get_dataloaders(ix, cache='disk', cache_dir=cdir, **kw)   # default: no loader processes
                epoch(cached.train)                                             # first pass warms the page cache
                s_c0, _ = epoch(cached.train)
                s_c0_raw, _ = epoch(cached.train.dl)
                rows.append(dict(size=size, images=n, decode_img_s=n / s_dec, cache_build_s=s_build,
                                 build_img_s=len(train) / s_build, cached_img_s=n / s_c0, speedup=s_dec / s_c0,
                                 decode_raw_img_s=n / s_dec_raw, cached_raw_img_s=n / s_c0_raw, speedup_raw=s_dec_raw / s_c0_raw))
                print(rows[-1], flush=True)
        t = pd.DataFrame(rows).set_index('size')
        print(f"\nTraining-loader epoch, batch {a.batch} (decode: {a.workers} loader processes; cached: none); "
              f"*_raw: uint8 batches before the batch augmentation:")
        print(t.round(1).to_string())
        rec.save(t.reset_index(), data=a.data_dir,
                 audit=f'{len(audit)} files in {t_audit:.1f} s without the audit cache ({len(audit) / t_audit:.0f} files/s)',
                 training_images=f"{len(train)} of the training split{f' (--limit {a.limit})' if a.limit else ''}",
                 loaders=f'batch {a.batch}; decoding: {a.workers} loader processes; cached: none')

if __name__ == '__main__': main()
