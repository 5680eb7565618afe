"""The recipe ablation (issue #19): each training ingredient of a recipe removed one at a time, on a reduced
budget of minutes, several seeds each, with paired confidence intervals against the whole recipe.

Usage: python benchmarks/recipe_ablation.py [RECIPE] [--budget 8] [--seeds 0 1 2] [--variants ...] [DATA_DIR]

RECIPE (default `cpu_c`, until it becomes the `cpu` preset) is a preset or a recipe of time_to_accuracy.py. Every run gets `time_budget` minutes of
training ('linear' schedule, the clock ending it), so each variant is compared at equal minutes: a variant
without progressive resizing trains fewer, larger epochs in the same time. The ingredients that act only when a
model is evaluated (the moving average's weights, the test side with FixRes statistics, the mirror image) need no
training of their own: benchmarks/eval_ingredients.py measures them on the whole recipe's runs.

Runs go in runs/recipe_ablation/ (resumable: a finished run is not trained again). Each run's best checkpoint is
evaluated on the validation split, which decides, and on the test split, for the record. Writes, per seed,
benchmarks/results/recipe_ablation/<recipe>-s<seed>.csv (one row per run) and .txt (the machine, its load, the
runs), so seeds may run in different sessions; then (and with `--summary`) <recipe>.csv: the paired comparisons
against the whole recipe over every seed recorded, with 95% confidence intervals."""
from __future__ import annotations
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, RESULTS, ROOT
from time_to_accuracy import recipe_config

# each training ingredient of the cpu recipe taken out (the field values it then has: the researchers' defaults),
# and the augmentation made weaker and stronger than the recipe's (crop area 0.5-1, colour jitter 0.2)
VARIANTS = {
    'recipe':             {},
    'no_progressive':     dict(min_size=None),                         # every epoch at img_size
    'crop_stronger':      dict(augment={}),                            # crop area 0.35-1, the default
    'crop_weaker':        dict(augment=dict(scale=(0.7, 1.0))),
    'no_jitter':          dict(augment=dict(scale=(0.5, 1.0), jitter=0.0)),
    'jitter_stronger':    dict(augment=dict(scale=(0.5, 1.0), jitter=0.4)),
    'no_label_smoothing': dict(label_smoothing=0.0),
    'no_warmup':          dict(warmup=0.0),
    'no_attention':       dict(attention='none'),                      # the researchers' question at equal minutes
}

def _with_tests(res):
    "The runs' table with each finished run's test metrics (for the record; validation decides)."
    import pandas as pd
    from waste_cbam.evaluation import stored_metrics
    tests = []
    for r in res.itertuples():
        m = stored_metrics(r.run_dir, 'test') if r.status == 'completed' else None
        tests.append({} if m is None else dict(test_acc=m['accuracy'], test_f1=m['f1_macro'],
                                               **{f"test_f1_{c}": v['f1'] for c, v in m['per_class'].items()}))
    return pd.concat([res, pd.DataFrame(tests)], axis=1)

def main(a):
    from waste_cbam.baselines import run_variants, select
    # trained on the training split only (`refit` off), so that validation can judge
    rc = recipe_config(a.recipe, [])
    base = rc.replace(time_budget=a.budget, scheduler='linear', epochs=1000, patience=None, refit=False, data=a.data_dir or rc.data)
    variants = select(VARIANTS, a.variants, 'recipe ablation')
    for seed in a.seeds:   # one record per seed: a study cut short keeps its finished seeds, seeds may run on different days
        with Record(f'recipe_ablation/{a.recipe}-s{seed}', what=f"recipe {a.recipe}, each ingredient removed, {a.budget} minutes a run, seed {seed}") as rec:
            print(f"base: {base.to_json()}")
            res = _with_tests(run_variants(base, variants, ROOT/'runs'/'recipe_ablation', seeds=(seed,), split='val'))
            print(res[['variant', 'epochs_run', 'seconds', 'val_acc', 'val_f1', 'test_acc', 'test_f1']].round(4).to_string(index=False))
            rec.save(res, recipe=a.recipe, budget_minutes=a.budget, seed=seed)
    summary(a)

def summary(a):
    "Every seed's record of the recipe: paired comparisons against the whole recipe, means; recipe_ablation/<recipe>.csv."
    import pandas as pd
    from waste_cbam.baselines import paired_comparison
    files = sorted((RESULTS/'recipe_ablation').glob(f'{a.recipe}-s*.csv'))
    if not files: sys.exit(f"No results of {a.recipe} in {RESULTS/'recipe_ablation'}: run the ablation first.")
    res = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    out = []
    for metric in ('val_acc', 'val_f1', 'test_acc', 'test_f1'):
        pc = paired_comparison(res, 'recipe', metric)
        print(f"\npaired against the whole recipe, {metric} (95% CI over seeds):")
        print(pc.round(4).to_string(index=False)); out.append(pc)
    cols = ['val_acc', 'val_f1', 'test_acc', 'test_f1', 'test_f1_organic', 'test_f1_recyclable', 'epochs_run', 'seconds']
    means = res.groupby('variant', sort=False)[[c for c in cols if c in res]].agg(['mean', 'std', 'count'])
    print('\nmean (std, seeds) over seeds:'); print(means.round(4).to_string())
    pd.concat(out).to_csv(RESULTS/'recipe_ablation'/f'{a.recipe}.csv', index=False)
    print(f"wrote {RESULTS/'recipe_ablation'/f'{a.recipe}.csv'} ({len(files)} seeds' records)")

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('recipe', nargs='?', default='cpu_c')
    p.add_argument('data_dir', nargs='?', default='')
    p.add_argument('--budget', type=float, default=8.0, help='minutes of training a run')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--variants', nargs='+', default=None, help=f"default: all of {', '.join(VARIANTS)}")
    p.add_argument('--summary', action='store_true', help='only summarise the seeds recorded so far')
    a = p.parse_args()
    summary(a) if a.summary else main(a)
