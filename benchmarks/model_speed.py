"""Training-step and inference speed of our CBAM-ResNets against plain ResNets, torchvision and timm's CBAM ResNet.

One run times every model at every size, interleaving the models repeat by repeat so that load on a shared
machine hits them alike; report ratios within one run. On a CUDA GPU it uses float16 autocast and channels_last.

Writes the table (unrounded) to benchmarks/results/model_speed.csv and the run's record (machine, versions, threads,
load, command line, everything printed) to benchmarks/results/model_speed.txt; `--out` changes where.

    python benchmarks/model_speed.py                      # 64, 112, 224 px, batch 32, all models
    python benchmarks/model_speed.py --threads 1 --clock cpu   # on a shared machine: one thread, process CPU time
    python benchmarks/model_speed.py --sizes 112 --models ours_cbam18 timm_cbam18 --repeats 5 --out /tmp/quick
"""
from __future__ import annotations
import argparse, platform, time, datetime, os, sys
from pathlib import Path
import torch, torch.nn as nn, torch.nn.functional as F
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _record import Record, default_out

def build(name:str, num_classes:int) -> nn.Module:
    "A model by benchmark name: ours_cbam18, ours_plain50, tv18, timm_cbam50, ..."
    depth = int(''.join(c for c in name if c.isdigit()))
    if name.startswith('ours_'):
        from waste_cbam.resnet import cbam_resnet
        return cbam_resnet(depth, num_classes, 'cbam' if 'cbam' in name else None)
    if name.startswith('tv'):
        import torchvision
        return getattr(torchvision.models, f'resnet{depth}')(num_classes=num_classes)
    if name.startswith('timm_cbam'):
        import timm
        return timm.create_model(f'resnet{depth}', pretrained=False, num_classes=num_classes,
                                 block_args=dict(attn_layer='cbam'))
    raise ValueError(f"unknown model {name!r}")

MODELS = ['ours_cbam18', 'ours_plain18', 'tv18', 'timm_cbam18', 'ours_cbam50', 'ours_plain50', 'tv50', 'timm_cbam50']

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--sizes', type=int, nargs='+', default=[64, 112, 224], help='image sides, px')
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--repeats', type=int, default=3, help='timed repeats per model and size (best is reported)')
    ap.add_argument('--models', nargs='+', default=MODELS, choices=MODELS)
    ap.add_argument('--num-classes', type=int, default=2)
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch decides)')
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--no-infer', action='store_true', help='time training steps only')
    ap.add_argument('--clock', choices=['wall', 'cpu'], default='wall',
                    help="'cpu': process CPU time (with --threads 1 robust to other jobs on a shared machine)")
    ap.add_argument('--out', '--csv', dest='out', default=default_out('model_speed'),
                    help='writes OUT.csv (the table) and OUT.txt (the record of the run)')
    a = ap.parse_args(argv)
    with Record('model_speed', a.out, __doc__.splitlines()[0]) as rec:
        rows = _measure(a)
        rec.save(rows, models=' '.join(a.models), sizes=' '.join(map(str, a.sizes)), batch=a.batch,
                 repeats=f"{a.repeats} timed (best kept), 1 warm-up", device=a.device,
                 clock='process CPU time' if a.clock == 'cpu' and not a.device.startswith('cuda') else 'wall time')
    return rows

def _measure(a) -> list[dict]:
    "Time every model at every size as `a` says; prints one table per size and returns all rows."
    if a.threads: torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    cuda = dev.type == 'cuda'
    fmt = torch.channels_last if cuda else torch.contiguous_format
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    torch.manual_seed(0)
    models = {n: build(n, a.num_classes).to(dev, memory_format=fmt) for n in a.models}
    opts = {n: torch.optim.AdamW(m.parameters(), lr=1e-3) for n, m in models.items()}
    scaler = torch.amp.GradScaler('cuda', enabled=cuda)
    amp = lambda: torch.autocast('cuda', dtype=torch.float16, enabled=cuda)

    def train_step(n, x, y):
        m, o = models[n], opts[n]
        m.train(); o.zero_grad(set_to_none=True)
        with amp(): loss = F.cross_entropy(m(x), y)
        scaler.scale(loss).backward(); scaler.step(o); scaler.update()

    def infer(n, x):
        m = models[n]; m.eval()
        with torch.inference_mode(), amp(): m(x)

    clock = time.process_time if a.clock == 'cpu' and not cuda else time.perf_counter
    def timed(f):
        sync(); t0 = clock(); f(); sync(); return clock() - t0

    where = (torch.cuda.get_device_name(dev) if cuda else
             f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads")
    print(f"# {datetime.date.today()} | {where} | torch {torch.__version__} | batch {a.batch} | "
          f"best of {a.repeats} | {'fp16 autocast, channels_last' if cuda else 'fp32, contiguous'} | "
          f"{'CPU' if clock is time.process_time else 'wall'} time", flush=True)
    rows = []
    for s in a.sizes:
        x = torch.randn(a.batch, 3, s, s, device=dev).contiguous(memory_format=fmt)
        y = torch.randint(0, a.num_classes, (a.batch,), device=dev)
        tr, inf = {n: [] for n in models}, {n: [] for n in models}
        for n in models:   # warm-up: allocator, oneDNN/cuDNN kernel choice
            train_step(n, x, y)
            if not a.no_infer: infer(n, x)
        for _ in range(a.repeats):
            for n in models:
                tr[n].append(timed(lambda: train_step(n, x, y)))
                if not a.no_infer: inf[n].append(timed(lambda: infer(n, x)))
        for n in models:
            r = dict(size=s, model=n, train_s=min(tr[n]), infer_s=min(inf[n]) if inf[n] else float('nan'))
            r['train_img_s'] = a.batch / r['train_s']
            # every timed repeat, in order, so that the spread behind the best is on record
            r['train_samples_s'] = ' '.join(f'{v:.4f}' for v in tr[n])
            r['infer_samples_s'] = ' '.join(f'{v:.4f}' for v in inf[n])
            rows.append(r)
        for r in rows[-len(models):]:
            d = ''.join(c for c in r['model'] if c.isdigit())
            base = {k: v for k, v in ((q['model'], q) for q in rows[-len(models):])}
            for ref, col in ((f'ours_plain{d}', 'vs_ours_plain'), (f'timm_cbam{d}', 'vs_timm_cbam')):
                r[col] = r['train_s'] / base[ref]['train_s'] if ref in base else float('nan')
                r[col + '_infer'] = r['infer_s'] / base[ref]['infer_s'] if ref in base else float('nan')
        print(_table(rows[-len(models):]), flush=True)
    return rows

def _table(rows) -> str:
    hdr = (f"{'px':>4} {'model':<13} {'train step s':>12} {'img/s':>7} {'/ours plain':>11} {'/timm cbam':>10}"
           f" {'infer s':>8} {'/ours plain':>11} {'/timm cbam':>10}")
    out = [hdr]
    f = lambda v: '' if v != v else f"{v:.3f}"
    for r in rows:
        out.append(f"{r['size']:>4} {r['model']:<13} {r['train_s']:>12.3f} {r['train_img_s']:>7.1f} "
                   f"{f(r['vs_ours_plain']):>11} {f(r['vs_timm_cbam']):>10} {f(r['infer_s']):>8} "
                   f"{f(r['vs_ours_plain_infer']):>11} {f(r['vs_timm_cbam_infer']):>10}")
    return '\n'.join(out)

if __name__ == '__main__': main()
