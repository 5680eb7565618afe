"""Does CBAM's hand-written backward pay for itself? Whole-network training steps with it on and off, in one run.

Issue #11's rule: keep the gates' hand-written backward (`waste_cbam.cbam.fused_backward`) only if it saves at least
10% of a whole training step of CBAM-ResNet at the cpu preset's size (96 px, batch 64; the cpu preset trains
ResNet-18, so that row decides). A step is what the Trainer does for one batch: channels_last model and input, bf16
autocast where the CPU computes bf16 natively (`waste_cbam.trainer.cpu_bf16_native()`), cross-entropy with the cpu
preset's label smoothing, backward, AdamW step. The two paths run on the same model and the same batch, and the same
ResNet without attention runs beside them as a yardstick (what CBAM costs with either path); the three take turns in
an order that rotates repeat by repeat, so that load from other jobs hits them alike.

The default clock is this process's CPU time on one thread (`time.process_time`, `torch.set_num_threads(1)`), which
other jobs on a shared machine disturb much less than wall time; both clocks are printed for every step.

The rule removed the hand-written backward, so today's `waste_cbam` has no `fused_backward`. The committed results
timed the package as it was at commit 5cda720; to rerun them, point --code at that version:

    mkdir /tmp/before && git archive 5cda720 waste_cbam | tar -x -C /tmp/before
    python benchmarks/cbam_backward.py --code /tmp/before       # writes benchmarks/results/cbam_backward.{csv,txt}
    python benchmarks/cbam_backward.py --code /tmp/before --depths 18 --sizes 96 --repeats 3 --out /tmp/quick
"""
from __future__ import annotations
import argparse, hashlib, statistics, sys, time
from pathlib import Path
import torch, torch.nn as nn
from _record import Record, default_out

PATHS = ('fused', 'plain', 'none')
# timed steps per (depth, size) and path: a ResNet-50 step at 224 px takes tens of CPU seconds on one thread
REPEATS = {(18, 96): 15, (50, 96): 9, (18, 224): 7, (50, 224): 5}

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--code', default=None, help='folder holding the waste_cbam package to time (default: this repository)')
    ap.add_argument('--depths', type=int, nargs='+', default=[18, 50])
    ap.add_argument('--sizes', type=int, nargs='+', default=[96, 224], help='image sides, px (96: the cpu preset)')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--repeats', type=int, default=None, help=f'timed steps per path and config (default {REPEATS})')
    ap.add_argument('--warmup', type=int, default=1, help='untimed steps per path and config')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    ap.add_argument('--clock', choices=['cpu', 'wall'], default='cpu', help="'cpu': process CPU time, 'wall': perf_counter")
    ap.add_argument('--amp', choices=['auto', 'bf16', 'off'], default='auto',
                    help="bf16 autocast: 'auto' as the Trainer (only where the CPU has native bf16)")
    ap.add_argument('--out', default=default_out('cbam_backward'), help='writes OUT.csv (the table) and OUT.txt (the record)')
    a = ap.parse_args(argv)
    if a.code: sys.path.insert(0, str(Path(a.code).resolve()))
    import waste_cbam.cbam as cbam_mod
    if not hasattr(cbam_mod, 'fused_backward'):
        sys.exit(f"{cbam_mod.__file__} has no fused_backward: the hand-written backward was removed after this "
                 "benchmark decided against it (issue #11). Pass --code with the package as it was before (see this "
                 "script's docstring).")
    with Record('cbam_backward', a.out, __doc__.splitlines()[0]) as rec:
        rows, facts = _measure(a, cbam_mod.fused_backward)
        f = Path(cbam_mod.__file__)
        rec.save(rows, timed_package=f"{f.parent} (its cbam.py has sha1 {hashlib.sha1(f.read_bytes()).hexdigest()})", **facts)
    return rows

def _measure(a, fused_backward) -> tuple[list[dict], dict]:
    "Time the three paths for every depth and size as `a` says; prints the table and every step; returns rows and settings."
    from waste_cbam.resnet import cbam_resnet
    from waste_cbam.trainer import cpu_bf16_native, preset
    torch.set_num_threads(a.threads)
    bf16 = a.amp == 'bf16' or (a.amp == 'auto' and cpu_bf16_native())
    cfg = preset('cpu')
    clock = time.process_time if a.clock == 'cpu' else time.perf_counter
    facts = dict(step=f"channels_last, {'bf16 autocast' if bf16 else 'fp32'}, batch {a.batch}, cross-entropy (label "
                      f"smoothing {cfg.label_smoothing}), backward, AdamW (lr {cfg.lr}, weight decay {cfg.weight_decay}); "
                      f"2 classes; small_input={cfg.small_input} as the cpu preset",
                 repeats=f"{a.warmup} untimed warm-up step(s), then timed steps per path as the table's `repeats` says, "
                         "in rotating order",
                 clock='process CPU time' if a.clock == 'cpu' else 'wall time',
                 columns="fused: CBAM-ResNet with the hand-written gate backward; plain: the same model and batch with "
                         "plain autograd; none: the same ResNet without attention. *_median_ms / *_best_ms: median / best "
                         "step; ratio = fused / plain medians (below 1: fused is faster); saving = 1 - ratio, the share "
                         "of the whole step the hand-written backward saves; best_ratio = best fused / best plain; "
                         "cbam_cost_* = CBAM step / none step - 1. Keep rule (issue #11): saving >= 10% at 96 px. "
                         "Ratios come from one interleaved run on a machine shared with other jobs.")
    rows, steps = [], []
    for depth in a.depths:
        for size in a.sizes:
            n = a.repeats or REPEATS.get((depth, size), 3)
            x = torch.randn(a.batch, 3, size, size, generator=torch.Generator().manual_seed(0))
            x = x.contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, 2, (a.batch,), generator=torch.Generator().manual_seed(1))
            loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
            nets = {}
            for attention in ('cbam', None):   # the CBAM model serves both CBAM paths; the plain ResNet is the yardstick
                torch.manual_seed(0)
                m = cbam_resnet(depth, 2, attention, small_input=cfg.small_input).to(memory_format=torch.channels_last).train()
                nets[attention] = (m, torch.optim.AdamW(m.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay))

            def step(path):
                model, opt = nets[None if path == 'none' else 'cbam']
                with fused_backward(path == 'fused'):
                    with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
                        loss = loss_fn(model(x), y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()

            for path in PATHS:
                for _ in range(a.warmup): step(path)
            t = {p: [] for p in PATHS}
            for r in range(n):
                for path in PATHS[r % 3:] + PATHS[:r % 3]:   # rotate the order so each path runs in each position alike
                    c0, w0 = clock(), time.perf_counter()
                    step(path)
                    c1, w1 = clock(), time.perf_counter()
                    t[path].append(c1 - c0)
                    steps.append(f"{depth},{size},{path},{r},{c1 - c0:.4f},{w1 - w0:.4f}")
            med = {p: statistics.median(v) for p, v in t.items()}
            row = dict(depth=depth, size=size, batch=a.batch, repeats=n,
                       **{f'{p}_median_ms': med[p] * 1e3 for p in PATHS}, **{f'{p}_best_ms': min(t[p]) * 1e3 for p in PATHS},
                       ratio=med['fused'] / med['plain'], saving=1 - med['fused'] / med['plain'],
                       best_ratio=min(t['fused']) / min(t['plain']),
                       cbam_cost_plain=med['plain'] / med['none'] - 1, cbam_cost_fused=med['fused'] / med['none'] - 1)
            rows.append(row)
            print(f"  ResNet-{depth} {size} px: fused {row['fused_median_ms']:.0f} ms, plain {row['plain_median_ms']:.0f} ms, "
                  f"no attention {row['none_median_ms']:.0f} ms (median of {n}), saving {row['saving']:+.1%}", flush=True)
            del nets

    print(f"\n{'model':<15}{'px':>4}{'n':>3}{'fused ms':>10}{'plain ms':>10}{'none ms':>9}{'ratio':>7}{'saving':>8}"
          f"{'best ratio':>11}{'CBAM cost plain':>16}{'CBAM cost fused':>16}")
    for r in rows:
        print(f"{'CBAM-ResNet-' + str(r['depth']):<15}{r['size']:>4}{r['repeats']:>3}{r['fused_median_ms']:>10.0f}"
              f"{r['plain_median_ms']:>10.0f}{r['none_median_ms']:>9.0f}{r['ratio']:>7.3f}{r['saving']:>8.1%}"
              f"{r['best_ratio']:>11.3f}{r['cbam_cost_plain']:>16.1%}{r['cbam_cost_fused']:>16.1%}")
    print()
    for r in rows:
        if r['size'] == 96:
            print(f"rule at 96 px, ResNet-{r['depth']}: saving {r['saving']:.1%} -> {'keep' if r['saving'] >= 0.10 else 'remove'}")
    print(f"\nevery timed step ({facts['clock']}, then wall seconds):\ndepth,size,path,repeat,seconds,wall_seconds")
    print('\n'.join(steps))
    return rows, facts

if __name__ == '__main__': main()
