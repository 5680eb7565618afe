"""What the event core costs: whole-epoch time of a preset with the trainer before the event core (a commit
given by --old) and with this checkout's, interleaved in one run (issue #18: under 1%).

Usage: python benchmarks/event_core.py [DATA_DIR] [--preset cpu] [--old 873fdb9] [--rounds 3] [--threads N]

Each epoch is a fresh process training one epoch of the preset on the real data (its disk cache of decoded
images built beforehand, untimed), with one of the two versions of the package on its path; the versions
alternate (old, new, new, old, old, new, ...) so that a drift of the machine's speed falls on both alike.
Two figures per epoch: the epoch's own `epoch_time` (training and validation pass, as `history.csv` records
it) and the wall time of the whole `fit` call (also the run folder's checkpoints, history and figure).

A second, finer measure in the same run: the cost of dispatching the events themselves, timed in-process on
the new trainer with its default callbacks (the events a training batch fires, called 20,000 times), against
the median step time of the timed epochs.

Writes benchmarks/results/event_core.csv (one row per epoch) and .txt (the record of the run); --out changes where."""
import argparse, json, os, subprocess, sys, tempfile, textwrap, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out, ROOT

EPOCH = textwrap.dedent('''
    import sys, json, time
    sys.path.insert(0, sys.argv[1])
    import torch
    if int(sys.argv[6]): torch.set_num_threads(int(sys.argv[6]))
    import waste_cbam, waste_cbam.trainer as tr
    assert waste_cbam.__file__.startswith(sys.argv[1]), waste_cbam.__file__
    cfg = tr.preset(sys.argv[2], data=sys.argv[3], out_dir=sys.argv[4], name=sys.argv[5], epochs=1)
    t = tr.Trainer(cfg, progress=False)
    t0 = time.perf_counter(); h = t.fit(); wall = time.perf_counter() - t0
    print(json.dumps(dict(epoch_time=float(h.epoch_time.iloc[0]), fit_wall=wall, steps=len(t.data.train),
                          val_acc=float(h.val_acc.iloc[0]), threads=torch.get_num_threads())))
''')

def epoch(tree, a, name, out):
    r = subprocess.run([sys.executable, '-c', EPOCH, str(tree), a.preset, a.data_dir, str(out), name, str(a.threads or 0)],
                       capture_output=True, text=True, env=os.environ | {'PYTHONPATH': ''})
    if r.returncode: sys.exit(f"epoch {name} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def dispatch_cost(a, n=20_000):
    "Seconds per training batch spent calling the events of one batch on the default callbacks, in this process."
    from waste_cbam.trainer import Trainer, preset
    from waste_cbam.data import get_dataloaders
    cfg = preset('smoke', data=a.data_dir, limit=32)
    t = Trainer(cfg, data=get_dataloaders(a.data_dir, size=cfg.img_size, batch_size=cfg.batch_size, cache='memory',
                                          limit=cfg.limit, verbose=False), progress=False)
    t.training, t.iter, t.dl = True, 0, t.data.train
    t.xb, t.yb = next(iter(t.data.train)); t.pred = t.model(t.xb); t.loss = t.loss_fn(t.pred, t.yb)
    for cb in t.cbs:
        if type(cb).__name__ == 'Recorder': cb._reset()
    t.sched = None   # the scheduler's own step is the training's work, not the event core's
    events = ('before_batch', 'after_pred', 'after_loss', 'before_backward', 'before_step', 'after_step', 'after_batch')
    t0 = time.perf_counter()
    for _ in range(n):
        for e in events: t(e)
        for cb in t.cbs:   # the Recorder keeps each batch's predictions: drop them, as a pass's end would
            if type(cb).__name__ == 'Recorder': cb.ys.clear(); cb.ps.clear()
    return (time.perf_counter() - t0) / n, [type(c).__name__ for c in t.cbs]

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('data_dir', nargs='?', default=os.environ.get('WASTE_CBAM_DATA'))
    ap.add_argument('--preset', default='cpu')
    ap.add_argument('--old', default='873fdb9', help='the commit before the event core')
    ap.add_argument('--rounds', type=int, default=3, help='epochs of each version')
    ap.add_argument('--threads', type=int, default=None, help='torch threads (default: torch\'s, all cores)')
    ap.add_argument('--out', default=default_out('event_core'))
    a = ap.parse_args()
    if not a.data_dir: ap.error('give DATA_DIR or set WASTE_CBAM_DATA')
    what = f"whole-epoch time of the {a.preset} preset before ({a.old}) and after the event core, interleaved"
    with Record('event_core', a.out, what) as rec, tempfile.TemporaryDirectory() as d:
        d = Path(d); old = d/'old'; old.mkdir()
        subprocess.run(f"git -C {ROOT} archive {a.old} waste_cbam settings.ini | tar -x -C {old}", shell=True, check=True)
        trees = {'old': old, 'new': ROOT}
        t0 = time.time()   # the disk cache of decoded images, built once (both versions share its files)
        subprocess.run([sys.executable, '-c', f"import sys; sys.path.insert(0, {str(ROOT)!r}); from waste_cbam.trainer import preset, data_for; "
                        f"data_for(preset({a.preset!r}, data={a.data_dir!r}))"], check=True)
        print(f"data and disk cache ready in {time.time() - t0:.0f} s", flush=True)
        order = [v for i in range(a.rounds) for v in (('old', 'new') if i % 2 == 0 else ('new', 'old'))]
        rows = []
        for i, v in enumerate(order):
            r = epoch(trees[v], a, f'{v}{i}', d/'runs') | dict(version=v, position=i)
            rows.append(r)
            print(f"{i + 1}/{len(order)} {v}: epoch {r['epoch_time']:.1f} s, fit {r['fit_wall']:.1f} s, {r['steps']} steps, "
                  f"val acc {r['val_acc']:.4f}, {r['threads']} threads", flush=True)
        import pandas as pd
        df = pd.DataFrame(rows)
        m = df.groupby('version')[['epoch_time', 'fit_wall']].agg(['mean', 'min', 'max'])
        print(m.round(2).to_string())
        for col in ('epoch_time', 'fit_wall'):
            ratio = m.loc['new', (col, 'mean')] / m.loc['old', (col, 'mean')]
            print(f"{col}: new / old = {ratio:.4f} ({100 * (ratio - 1):+.2f}%)")
        per_batch, cbs = dispatch_cost(a)
        step = df[df.version == 'new'].epoch_time.median() / df.steps.iloc[0]
        print(f"event dispatch: {1e6 * per_batch:.1f} us per training batch (7 events, callbacks {', '.join(cbs)}), "
              f"against {1e3 * step:.0f} ms per step of the epoch (training and validation time / training steps): "
              f"{100 * per_batch / step:.4f}%")
        rec.save(df, data=a.data_dir, old=a.old, rounds=a.rounds,
                 dispatch=f"{1e6 * per_batch:.2f} us per training batch, {100 * per_batch / step:.4f}% of a step")

if __name__ == '__main__': main()
