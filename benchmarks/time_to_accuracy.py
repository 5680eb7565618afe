"""Time to accuracy (issue #19): what a recipe reaches, against the wall-clock minutes it costs, on this machine.

Usage:
  python benchmarks/time_to_accuracy.py RECIPE [--seed 0] [--set FIELD=VALUE ...] [--threads N] [DATA_DIR]
  python benchmarks/time_to_accuracy.py RECIPE --from-run RUN_DIR          (a committed run folder, not re-run)
  python benchmarks/time_to_accuracy.py --summary                          (the table and figure of every result)

RECIPE is a preset (`cpu`, `long`, ...) or one of the recipes below (`RECIPES`): the naive 40-line recipe
written with the project's own model, the researchers' question asked at equal minutes (`cpu_none`: the cpu
preset with `attention='none'`), and the explorations kept for the record. `--set` changes fields of it
(JSON values: `--set ema=0.999 --set augment='{"jitter": 0.1}'`). A run trains the recipe from scratch (a
fresh run folder under runs/time_to_accuracy/), then evaluates its model on the validation and the test
split, with the recipe's own test side and test-time augmentation, and times each part:

- setup: finding, auditing and splitting the data and building (or reusing) the decoded-image cache: a one-off;
- training: the passes over the training and validation images, epoch by epoch (the run's history);
- evaluation: the test split's predictions and metrics.

Writes benchmarks/results/time_to_accuracy/<recipe>-s<seed>.csv (one row per epoch: cumulative minutes,
validation accuracy and macro F1, training side; then one row per evaluated split) and .txt (the record of
the run: machine, threads, load at start and end, git state), and keeps the run's config, history and metrics
(no checkpoints) in runs/<recipe>-s<seed>/ beside them. `--summary` reads every such file and writes
time_to_accuracy.csv (one row per run) and time_to_accuracy.png (validation accuracy against minutes).
Minutes compare only between runs close in time: each run's row gives the naive recipe's minutes at its middle
(`naive_minutes`), interpolated between the naive runs before and after it (`naive_result` names them), or the
nearest one's, within `MAX_GAP_HOURS`."""
from __future__ import annotations
import argparse, json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, RESULTS, ROOT

OUT = RESULTS/'time_to_accuracy'
CROP_64_OF_73 = (64 / 73) ** 2   # the area of a 64 px crop of the 73 px square that a 64 px input is cut from

# recipes that are not presets, as fields over a preset: (preset, fields)
RECIPES = {
    # what a user writes in 40 lines: 64 px random crops of the ~72 px square, flips, AdamW one-cycle to 2e-3,
    # label smoothing 0.1, batch 64, 6 epochs on all of train + val, fp32 (the naive recipe, our model)
    'naive': ('full', dict(img_size=64, batch_size=64, epochs=6, lr=2e-3, scheduler='onecycle', label_smoothing=0.1,
                           augment=dict(scale=(CROP_64_OF_73, CROP_64_OF_73), ratio=(1.0, 1.0), jitter=0.0),
                           refit=True, patience=None, amp=False)),
    # the researchers' question at equal minutes: the cpu preset without attention, given the cpu preset's training
    # minutes of the same day (`--set time_budget=MINUTES`; the epochs then do not cap it)
    'cpu_none': ('cpu', dict(attention='none', epochs=1000)),
    # explorations of the new cpu preset, kept for the record (each chosen on validation)
    'cpu_a': ('full', dict(img_size=128, min_size=64, size_ramp=0.8, test_size=160, epochs=18, batch_size=64, lr=2e-3,
                           scheduler='linear', warmup=0.03, label_smoothing=0.1, augment=dict(scale=(0.5, 1.0)), ema=0.999,
                           bn_images=2048, tta=True, patience=None)),
    # cpu_a's evaluation chosen on its validation split (benchmarks/eval_ingredients.py: 144 px, the average's own
    # BatchNorm statistics), trained on train + val as the final model is, one epoch less to stay in the budget
    'cpu_b': ('full', dict(img_size=128, min_size=64, size_ramp=0.8, test_size=144, epochs=17, batch_size=64, lr=2e-3,
                           scheduler='linear', warmup=0.03, label_smoothing=0.1, augment=dict(scale=(0.5, 1.0)), ema=0.999,
                           bn_images=0, tta=True, patience=None, refit=True)),
    # cpu_b without the validation passes that judge seen images (only the last epoch validated), the minutes
    # saved spent on one more epoch
    'cpu_c': ('full', dict(img_size=128, min_size=64, size_ramp=0.8, test_size=144, epochs=18, batch_size=64, lr=2e-3,
                           scheduler='linear', warmup=0.03, label_smoothing=0.1, augment=dict(scale=(0.5, 1.0)), ema=0.999,
                           bn_images=0, tta=True, patience=None, refit=True, val_every=0)),
    # towards a `long` preset (a lunch break: about 10x the naive recipe's minutes): the cpu preset's recipe
    # scaled up, 64 -> 160 px over 80% of 32 epochs, tested at 176 px, trained on train only and validated every
    # 4th epoch, so that validation judges it before a refit on train + val
    'long_a': ('cpu', dict(img_size=160, test_size=176, epochs=32, refit=False, val_every=4)),
    # the cpu preset before issue #19 (96 px, 16 epochs, cosine)
    'old_cpu': ('full', dict(img_size=96, epochs=16, batch_size=64, lr=2e-3, scheduler='cosine', label_smoothing=0.1, patience=5)),
}

def recipe_config(name:str, sets:list):
    "The config of a recipe or preset, with `--set` fields applied."
    from waste_cbam.config import preset, PRESETS
    if name in RECIPES: base, kw = RECIPES[name]
    elif name in PRESETS: base, kw = name, {}
    else: sys.exit(f"Unknown recipe {name!r}: a preset ({', '.join(PRESETS)}) or one of {', '.join(RECIPES)}.")
    kw = dict(kw)
    for s in sets:
        k, _, v = s.partition('=')
        try: kw[k] = json.loads(v)
        except json.JSONDecodeError: kw[k] = v
        if k == 'pool': kw[k] = tuple(kw[k])
    return preset(base, **kw)

def curve_rows(h, recipe, seed):
    "One row per epoch of a history: cumulative training minutes, validation accuracy and F1, training side."
    return [dict(recipe=recipe, seed=seed, kind='epoch', epoch=int(r.epoch), minutes=r.total_time / 60, val_acc=r.val_acc,
                 val_f1=r.val_f1, train_size=getattr(r, 'train_size', None), lr=r.lr) for r in h.itertuples()]

def split_row(recipe, seed, split, m, minutes, seconds):
    "One row of an evaluated split: its metrics, the minutes of training before it, the seconds it took."
    per = {f"f1_{c}": v['f1'] for c, v in m['per_class'].items()}
    return dict(recipe=recipe, seed=seed, kind=split, minutes=minutes, accuracy=m['accuracy'], f1_macro=m['f1_macro'],
                eval_seconds=seconds, n=m['n'], img_size=m.get('img_size'), tta=m.get('tta')) | per

def train_and_evaluate(a):
    import torch
    from waste_cbam.trainer import Trainer, data_for
    from waste_cbam.evaluation import evaluate
    if a.threads: torch.set_num_threads(a.threads)
    cfg = recipe_config(a.recipe, a.set)
    name = f"{a.recipe}-s{a.seed}" + (f"-{a.tag}" if a.tag else '')
    cfg = cfg.replace(data=a.data_dir or cfg.data, seed=a.seed, out_dir=str(ROOT/'runs'/'time_to_accuracy'), name=name)
    with Record(f'time_to_accuracy/{name}', what=f"recipe {a.recipe} (seed {a.seed}): validation accuracy against wall-clock minutes, then test") as rec:
        print(f"config: {cfg.to_json()}")
        t0 = time.perf_counter(); data = data_for(cfg); setup = time.perf_counter() - t0
        print(f"setup (data, audit, split, image cache): {setup:.0f} s; {len(data.train.dataset)} training images, "
              f"{len(data.train)} steps an epoch")
        t = Trainer(cfg, data=data, progress=True)
        t0 = time.perf_counter(); h = t.fit(); fit_wall = time.perf_counter() - t0
        rows = curve_rows(h, a.recipe, a.seed)
        train_min = h.total_time.iloc[-1] / 60
        print(f"training: {len(h)} epochs, {train_min:.2f} min recorded ({fit_wall / 60:.2f} min of wall time with checkpoints), "
              f"status {t.status}")
        for split in ('val', 'test'):
            t0 = time.perf_counter(); ev = evaluate(t.run_dir, split, batch_size=128, figures=split == 'test')
            secs = time.perf_counter() - t0
            m = t.run.metrics(split)
            rows.append(split_row(a.recipe, a.seed, split, m, fit_wall / 60, secs))
            print(f"{split}: accuracy {ev.metrics['accuracy']:.4f}, macro F1 {ev.metrics['f1_macro']:.4f}, "
                  + ', '.join(f"F1 {c} {v['f1']:.4f}" for c, v in ev.metrics['per_class'].items())
                  + f" ({secs:.0f} s, {m.get('img_size')} px, tta {m.get('tta')})")
        total = fit_wall / 60 + rows[-1]['eval_seconds'] / 60
        print(f"minutes: training {fit_wall / 60:.2f} + test evaluation {rows[-1]['eval_seconds'] / 60:.2f} = {total:.2f} "
              f"(setup {setup / 60:.2f} once)")
        for r in rows: r.update(setup_minutes=setup / 60, total_minutes=total, status=t.status, run_dir=str(t.run_dir))
        rec.save(rows, recipe=a.recipe, seed=a.seed, data=str(cfg.data), threads=torch.get_num_threads())
        keep_run(t.run_dir, name)

KEPT = ('config.json', 'history.csv', 'result.json', 'metrics.json', 'metrics_val.json')

def keep_run(run_dir, name:str):
    "Copy a run's small files (config, history, result, metrics; no checkpoints) to results/time_to_accuracy/runs/<name>/, for the chapters."
    import shutil
    out = OUT/'runs'/name; out.mkdir(parents=True, exist_ok=True)
    for f in KEPT:
        if (Path(run_dir)/f).exists(): shutil.copy(Path(run_dir)/f, out/f)
    return out

def from_run(a):
    "The curve and test metrics of a committed run folder (its minutes are those of its own machine and day)."
    from waste_cbam.run import Run
    run = Run(a.from_run)
    h, cfg = run.history(), run.config()
    with Record(f'time_to_accuracy/{a.recipe}-s{cfg.seed}', what=f"recipe {a.recipe}: read from the run folder {run.path} (not re-run)") as rec:
        rows = curve_rows(h, a.recipe, cfg.seed)
        for split in ('val', 'test'):
            if (m := run.metrics(split)) is not None:
                rows.append(split_row(a.recipe, cfg.seed, split, m, h.total_time.iloc[-1] / 60, None))
        for r in rows: r.update(total_minutes=h.total_time.iloc[-1] / 60, status=run.status, run_dir=str(run.path))
        print(f"{a.recipe} from {run.path}: {len(h)} epochs, {h.total_time.iloc[-1] / 60:.1f} min recorded there, "
              f"final val_acc {h.val_acc.iloc[-1]:.4f}")
        rec.save(rows, recipe=a.recipe, source=str(run.path), note='minutes of the machine and day that made the run folder')

def _midpoint(txt:Path)->str:
    "The middle of a result's run (ISO, to the second), from its record; '' for a curve read from a run folder (made on another day)."
    import pandas as pd
    text = txt.read_text()
    if 'read from the run folder' in text.splitlines()[0]: return ''
    for line in text.splitlines():
        if line.startswith('# date: '):   # '# date: START to END (N s)'
            start, end = (pd.Timestamp(t) for t in line[8:].split(' (')[0].split(' to '))
            return (start + (end - start) / 2).isoformat(timespec='seconds')
    return ''

def _refit(txt:Path)->bool:
    "Whether the run trained on the validation images too (its validation curve is then of seen images)."
    return '"refit": true' in txt.read_text()

MAX_GAP_HOURS = 6   # a naive run further away from a run than this says nothing of its machine's speed

BECAME = {'cpu_c': 'cpu'}   # exploration -> the preset made of it

def _same_config(a:str, b:str)->bool:
    "Whether two recipes or presets have the same config."
    return recipe_config(a, []) == recipe_config(b, [])

def summary(a):
    "One row per run (with the naive recipe's minutes at its time) and the figure of every curve."
    import pandas as pd, matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs = []
    for f in sorted(OUT.glob('*.csv')):
        if f.name == 'time_to_accuracy.csv': continue
        d = pd.read_csv(f); d['result'] = f.stem; d['mid'] = _midpoint(f.with_suffix('.txt')); d['day'] = d.mid.str[:10]; d['refit'] = _refit(f.with_suffix('.txt'))
        runs.append(d)
    if not runs: sys.exit(f"No results in {OUT}: run a recipe first.")
    allr = pd.concat(runs, ignore_index=True)
    # an exploration whose config became a preset's counts as that preset's run (checked, not assumed)
    for name, p in BECAME.items():
        if _same_config(name, p): allr.loc[allr.recipe == name, 'recipe'] = p
    # each run is measured against the naive recipe's minutes at its own time (a machine's speed drifts within a day
    # too): interpolated in time between the naive runs on either side of its middle, or the nearest one when there is
    # one side only; naive runs more than MAX_GAP_HOURS away do not count
    naive = allr[(allr.recipe == 'naive') & (allr.kind == 'test') & (allr.mid != '')].assign(t=lambda n: pd.to_datetime(n.mid))
    naive = naive.sort_values('t').reset_index(drop=True)
    def naive_at(mid:str)->tuple:
        "The naive runs used and the naive recipe's minutes at `mid`; (None, None) when none is near enough."
        if not mid: return None, None
        t = pd.Timestamp(mid)
        near = naive[(naive.t - t).abs() <= pd.Timedelta(hours=MAX_GAP_HOURS)]
        before, after = near[near.t <= t], near[near.t > t]
        if len(before) and before.iloc[-1].t == t: return before.iloc[-1].result, before.iloc[-1].total_minutes   # a naive run itself
        if len(before) and len(after):
            b, a = before.iloc[-1], after.iloc[0]
            w = (t - b.t) / (a.t - b.t)
            return f'{b.result} + {a.result}', b.total_minutes + w * (a.total_minutes - b.total_minutes)
        if len(near):
            n = near.loc[(near.t - t).abs().idxmin()]
            return n.result, n.total_minutes
        return None, None
    rows = []
    for res, d in allr.groupby('result', sort=False):
        ep, te, va = d[d.kind == 'epoch'], d[d.kind == 'test'], d[d.kind == 'val']
        nv, nm = naive_at(d.mid.iloc[0])
        row = dict(result=res, recipe=d.recipe.iloc[0], seed=d.seed.iloc[0], day=d.day.iloc[0], refit=d.refit.iloc[0], epochs=len(ep),
                   train_minutes=ep.minutes.max(), total_minutes=d.total_minutes.iloc[0],
                   naive_result=nv, naive_minutes=nm)
        for k, s in (('val', va), ('test', te)):
            if len(s):
                r = s.iloc[0]
                row |= {f'{k}_acc': r.accuracy, f'{k}_f1': r.f1_macro} | {f'{k}_{c}': r[c] for c in s.columns if c.startswith('f1_') and c != 'f1_macro' and pd.notna(r[c])}
        rows.append(row)
    tab = pd.DataFrame(rows)
    tab['budget_ratio'] = tab.total_minutes / tab.naive_minutes
    tab.to_csv(OUT/'time_to_accuracy.csv', index=False)
    print(tab.round(4).to_string(index=False))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 5), gridspec_kw=dict(width_ratios=(3, 2)))
    for i, (recipe, d) in enumerate(allr[allr.kind == 'epoch'].groupby('recipe')):
        for j, (res, e) in enumerate(d.groupby('result')):
            e = e.dropna(subset=['val_acc'])   # epochs not validated (`val_every`)
            ax.plot(e.minutes, e.val_acc, 'o--' if e.refit.iloc[0] else 'o-', ms=3, color=f'C{i}', alpha=0.8,
                    label=(recipe + (' (train + val: seen images)' if e.refit.iloc[0] else '')) if j == 0 else None)
        r = tab[(tab.recipe == recipe) & tab.budget_ratio.notna() & tab.test_acc.notna()]
        bx.plot(r.budget_ratio, r.test_acc, 'o', color=f'C{i}', label=recipe)
    ax.set(xlabel='training minutes (cumulative, 2 cores unless the record says otherwise)', ylabel='validation accuracy',
           title='Validation accuracy after each epoch', ylim=(0.75, 0.95))
    ax.axhline(0.925, color='grey', ls=':', lw=1); ax.grid(alpha=0.3); ax.legend(fontsize=8)
    bx.axhline(0.925, color='grey', ls=':', lw=1); bx.axvline(3.4, color='grey', ls=':', lw=1)
    bx.set(xlabel="minutes (training + test evaluation) / the naive recipe's minutes at the time", ylabel='test accuracy',
           title='Test accuracy against cost (one point per run)'); bx.grid(alpha=0.3); bx.legend(fontsize=8)
    fig.tight_layout(); fig.savefig(OUT/'time_to_accuracy.png', dpi=110)
    print(f"wrote {OUT/'time_to_accuracy.csv'} and {OUT/'time_to_accuracy.png'}")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('recipe', nargs='?', help='a preset or a name in RECIPES')
    p.add_argument('data_dir', nargs='?', default='', help="data folder; '' = $WASTE_CBAM_DATA")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--set', action='append', default=[], metavar='FIELD=VALUE', help='a config field (JSON value), repeatable')
    p.add_argument('--tag', default='', help='added to the result name (explorations of one recipe)')
    p.add_argument('--threads', type=int, default=0, help='torch threads (0: torch default, all cores)')
    p.add_argument('--from-run', help='read a run folder instead of training')
    p.add_argument('--summary', action='store_true', help='summarise every result')
    a = p.parse_args()
    if a.summary: summary(a)
    elif a.from_run:
        if not a.recipe: sys.exit('--from-run needs --recipe NAME (positional)')
        from_run(a)
    elif a.recipe: train_and_evaluate(a)
    else: p.error('give a recipe, --from-run or --summary')
