"""The evaluation-time ingredients of a finished run, measured on one trained model (issue #19): which weights
(the moving average or the trained weights), which test side, with or without re-estimated BatchNorm statistics
(FixRes), with or without the mirror image (test-time augmentation).

Usage: python benchmarks/eval_ingredients.py RUN_DIR [--sides 128 144 160] [--split val] [--bn-images 2048]
       [--weights ema trained] [--bn as_trained fixed] [--tag TAG]

The run must have been trained with `ema` (so its last.pt keeps both weights and the average's own statistics) and a cache side that serves the
largest side asked for (`test_size` at least that large). Each combination is a model state (weights x side x
BatchNorm statistics) evaluated once on the split with and without its mirror images, so the table has
2 x len(sides) x 2 x 2 rows; then, for each weights and statistics, the mirror-image probabilities averaged over
several sides (two-scale test-time augmentation: each pair of sides, and all of them), rows whose side reads
'128+160'. Choices are made on validation; run it on the test split only for the record.

Writes benchmarks/results/eval_ingredients/<run>-<split>[-<tag>].csv and .txt."""
from __future__ import annotations
import argparse, copy, itertools, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record

def main(a):
    import torch
    from sklearn.metrics import f1_score
    from torch.optim.swa_utils import update_bn
    from waste_cbam.run import Run
    from waste_cbam.models import build_model
    from waste_cbam.data import get_dataloaders
    from waste_cbam.evaluation import class_probs
    from waste_cbam.trainer import fixres_batches
    run = Run(a.run_dir)
    cfg, state = run.config(), run.load_state('last')
    ema = state.get('callbacks', {}).get('EMA', {})
    if not ema: sys.exit(f"{run.path} was not trained with `ema`: its last.pt keeps one set of weights only.")
    # the average as the callback kept it (its BatchNorm statistics averaged too; the checkpoint's model may have
    # had them re-estimated by FixBN), and the weights being trained
    avg = {k.removeprefix('module.'): v for k, v in ema['avg'].items() if k != 'n_averaged'}
    weights = {k: v for k, v in (('ema', avg), ('trained', ema['live'])) if k in a.weights}
    data = get_dataloaders(run.index(), size=cfg.img_size, test_size=max(a.sides), batch_size=128, cache=cfg.cache,
                           splits=('train', a.split), refit=cfg.refit, verbose=False)
    ds, ev = data.train.dataset, data[a.split]
    amp = dict(device_type='cpu', dtype=torch.bfloat16, enabled=cfg.amp)
    rows, probs = [], {}
    def row(wname, side, fix, tta, p, y, secs):
        pred = p.argmax(1).numpy(); per = f1_score(y, pred, average=None)
        rows.append(dict(weights=wname, side=side, bn_fixed=fix, tta=tta, accuracy=float((pred == y).mean()),
                         f1_macro=float(per.mean()), **{f'f1_{c}': float(v) for c, v in zip(data.classes, per)}, seconds=secs))
        print(f"{wname:8s} {side:>11s} px  BN {'re-estimated' if fix else 'as trained  '}  tta {str(tta):5s}: "
              f"accuracy {rows[-1]['accuracy']:.4f}, macro F1 {rows[-1]['f1_macro']:.4f}", flush=True)
    with Record(f'eval_ingredients/{run.name}-{a.split}' + (f'-{a.tag}' if a.tag else ''), what=f"evaluation-time ingredients of {run.path} on its {a.split} split") as rec:
        print(f"{run.path}: weights {list(weights)}, sides {a.sides}, BatchNorm re-estimated on {min(a.bn_images, len(ds))} training images")
        for wname, w in weights.items():
            base = build_model(cfg, len(data.classes)); base.load_state_dict(w); base.eval()
            for side in a.sides:
                ev.tfm.size = side
                for fix in [f == 'fixed' for f in a.bn]:
                    m = copy.deepcopy(base)
                    t0 = time.perf_counter()
                    if fix:
                        with torch.autocast(**amp): update_bn(fixres_batches(ds, ev.tfm, a.bn_images, cfg.seed, 128), m)
                        m.eval()
                    ys, p1, p2 = [], [], []
                    for xb, yb in ev:
                        p1.append(class_probs(m, xb, amp=cfg.amp)); p2.append(class_probs(m, xb, amp=cfg.amp, tta=True)); ys.append(yb)
                    y = torch.cat(ys).numpy(); secs = time.perf_counter() - t0
                    probs[wname, side, fix] = torch.cat(p2)
                    for tta, p in ((False, p1), (True, p2)): row(wname, str(side), fix, tta, torch.cat(p), y, secs)
            # several sides: the mean of their mirror-image probabilities (the validation loader keeps its order)
            for fix in [f == 'fixed' for f in a.bn]:
                for k in range(2, len(a.sides) + 1):
                    for sides in itertools.combinations(a.sides, k):
                        p = sum(probs[wname, sd, fix] for sd in sides) / k
                        row(wname, '+'.join(map(str, sides)), fix, True, p, y, None)
        rec.save(rows, run=str(run.path), split=a.split, bn_images=min(a.bn_images, len(ds)))

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('run_dir')
    p.add_argument('--sides', type=int, nargs='+', default=[128, 144, 160])
    p.add_argument('--split', default='val')
    p.add_argument('--bn-images', type=int, default=2048)
    p.add_argument('--weights', nargs='+', default=['ema', 'trained'], choices=['ema', 'trained'])
    p.add_argument('--bn', nargs='+', default=['as_trained', 'fixed'], choices=['as_trained', 'fixed'], help='BatchNorm statistics')
    p.add_argument('--tag', default='', help='added to the result name')
    main(p.parse_args())
