"""Training-speed benchmark of a preset: training images/s, seconds per epoch (extrapolated from a number of
steps), and the share of step time spent waiting for data, on this machine.

Usage: python benchmarks/train_speed.py [DATA_DIR] [--preset cpu] [--steps 60] [--threads N] [--out PREFIX]
DATA_DIR defaults to $WASTE_CBAM_DATA. Compares AMP on/off (bf16 autocast on CPUs with native bf16).
Writes the results (one row per AMP setting) to benchmarks/results/train_speed.csv and the run's record (machine,
versions, threads, load, command line, everything printed) to benchmarks/results/train_speed.txt; --out changes where."""
import argparse, os, sys, time, tempfile
from pathlib import Path
import torch
from waste_cbam.trainer import preset, Trainer
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out

def run(cfg, steps):
    t = Trainer(cfg, progress=False)
    dl, n, wait, t0 = t.data.train, 0, 0.0, None
    t.model.train()
    it = iter(dl); tic = time.perf_counter()
    for i in range(steps + 5):
        xb, yb = next(it)
        got = time.perf_counter()
        if i == 5: t0, wait, n = tic, 0.0, 0       # the first 5 steps warm up
        wait += got - tic
        xb, yb = t._to(xb, yb)
        with t._autocast(): loss = t.loss_fn(t.model(xb), yb)
        t.opt.zero_grad(set_to_none=True); t.scaler.scale(loss).backward(); t.scaler.step(t.opt); t.scaler.update()
        n += len(yb); tic = time.perf_counter()
    secs = time.perf_counter() - t0
    return dict(amp=str(t.amp_dtype), img_s=n / secs, epoch_s=len(dl.dataset) / (n / secs), data_wait_share=wait / secs,
                train_images=len(dl.dataset))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data_dir', nargs='?', default=os.environ.get('WASTE_CBAM_DATA'))
    ap.add_argument('--preset', default='cpu'); ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--out', default=default_out('train_speed'),
                    help='writes OUT.csv (one row per AMP setting) and OUT.txt (the record of the run)')
    a = ap.parse_args()
    if not a.data_dir: ap.error('give DATA_DIR or set WASTE_CBAM_DATA')
    if a.threads: torch.set_num_threads(a.threads)
    what = 'training images/s, s per epoch and data-wait share of a preset, AMP on and off'
    with Record('train_speed', a.out, what) as rec:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, preset {a.preset}")
        rows = []
        with tempfile.TemporaryDirectory() as d:
            for amp in (True, False):
                cfg = preset(a.preset, data=a.data_dir, amp=amp, out_dir=d, name=f'amp{amp}')
                r = run(cfg, a.steps)
                print(f"{a.preset} preset ({cfg.img_size}px, batch {cfg.batch_size}), amp={amp} -> {r['amp']}: "
                      f"{r['img_s']:.0f} train images/s, {r['epoch_s']:.0f} s per training epoch, "
                      f"data wait {100 * r['data_wait_share']:.1f}% of step time", flush=True)
                rows.append(dict(preset=a.preset, img_size=cfg.img_size, batch_size=cfg.batch_size,
                                 arch=cfg.arch, depth=cfg.depth, attention=cfg.attention,
                                 channels_last=cfg.channels_last, cache=cfg.cache, amp_asked=amp, steps=a.steps, **r))
        rec.save(rows, data=a.data_dir, steps=f'{a.steps} timed training steps after 5 untimed ones, per AMP setting')

if __name__ == '__main__': main()
