"""The recipe ablation (issue #19): each training ingredient of a recipe removed one at a time, on a reduced
budget of minutes, several seeds each, with paired confidence intervals against the whole recipe.

Usage: python benchmarks/recipe_ablation.py [RECIPE] [--budget 10] [--seeds 0 1 2] [--variants ...] [DATA_DIR]

RECIPE (default `cpu_b`, until it becomes the `cpu` preset) is a preset or a recipe of time_to_accuracy.py. Every run gets `time_budget` minutes of
training ('linear' schedule, the clock ending it), so each variant is compared at equal minutes: a variant
without progressive resizing trains fewer, larger epochs in the same time. The ingredients that act only when a
model is evaluated (the moving average's weights, the test side with FixRes statistics, the mirror image) need no
training of their own: benchmarks/eval_ingredients.py measures them on the whole recipe's runs.

Runs go in runs/recipe_ablation/ (resumable: a finished run is not trained again). Each run's best checkpoint is
evaluated on the validation split, which decides, and on the test split, for the record. Writes
benchmarks/results/recipe_ablation.csv (one row per run) and .txt (the machine, and the paired comparisons of
validation accuracy and macro F1 against the whole recipe)."""
from __future__ import annotations
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, ROOT
from time_to_accuracy import recipe_config

# each training ingredient of the cpu recipe, taken out: the field values it then has (the researchers' defaults)
VARIANTS = {
    'recipe':             {},
    'no_progressive':     dict(min_size=None),
    'crop_scale_default': dict(augment={}),              # random-resized-crop area 0.35-1 instead of 0.5-1
    'no_label_smoothing': dict(label_smoothing=0.0),
    'no_warmup':          dict(warmup=0.0),
    'no_attention':       dict(attention='none'),        # the researchers' question at equal minutes
}

def main(a):
    import pandas as pd
    from waste_cbam.baselines import run_variants, paired_comparison, select
    from waste_cbam.evaluation import stored_metrics
    # trained on the training split only (`refit` off), so that validation can judge
    base = recipe_config(a.recipe, []).replace(time_budget=a.budget, scheduler='linear', epochs=1000, patience=None, refit=False,
                                               data=a.data_dir or recipe_config(a.recipe, []).data)
    variants = select(VARIANTS, a.variants, 'recipe ablation')
    with Record('recipe_ablation', what=f"recipe {a.recipe}, each ingredient removed, {a.budget} minutes a run, seeds {a.seeds}") as rec:
        print(f"base: {base.to_json()}")
        res = run_variants(base, variants, ROOT/'runs'/'recipe_ablation', seeds=tuple(a.seeds), split='val')
        tests = []
        for r in res.itertuples():
            m = stored_metrics(r.run_dir, 'test') if r.status == 'completed' else None
            tests.append({} if m is None else dict(test_acc=m['accuracy'], test_f1=m['f1_macro'],
                                                   **{f"test_f1_{c}": v['f1'] for c, v in m['per_class'].items()}))
        res = pd.concat([res, pd.DataFrame(tests)], axis=1)
        for metric in ('val_acc', 'val_f1'):
            pc = paired_comparison(res, 'recipe', metric)
            print(f"\npaired against the whole recipe, {metric} (95% CI over seeds):")
            print(pc.round(4).to_string(index=False))
        print('\nmean over seeds:')
        print(res.groupby('variant', sort=False)[['val_acc', 'val_f1', 'test_acc', 'test_f1', 'epochs_run', 'seconds']].mean().round(4).to_string())
        rec.save(res, recipe=a.recipe, budget_minutes=a.budget, seeds=a.seeds)

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('recipe', nargs='?', default='cpu_b')
    p.add_argument('data_dir', nargs='?', default='')
    p.add_argument('--budget', type=float, default=10.0, help='minutes of training a run')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--variants', nargs='+', default=None, help=f"default: all of {', '.join(VARIANTS)}")
    main(p.parse_args())
