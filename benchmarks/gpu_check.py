"""What only a CUDA GPU can show, in one run: the CUDA code paths work end to end, and what training costs there.

1. trainer: `torchrun --nproc_per_node 1` (and one process per GPU when there are several) runs `waste_cbam_train`
   with the `gpu` preset's settings (compiled, fp16 autocast, images held on the GPU) on generated images, then
   resumes a killed run; the run folder and its result are checked;
2. sync: a training epoch under `torch.cuda.set_sync_debug_mode('warn')`: how many times the trainer made the GPU
   wait for the host, for two epoch lengths (it must not grow with the steps);
3. augment: the GPU batch augmentation's throughput;
4. train: training images/s and peak memory of plain, SE and CBAM ResNet-18/-50 at 224 px, fp16 autocast,
   channels_last, batch 64 and 256, eager and compiled (compile time recorded; the ResNet-50s compiled at 256
   only), and issue #13's targets;
5. infer: inference latency (batch 1), throughput (batch 64) and peak memory per model (`cost_table`, chapter 07).

    python benchmarks/gpu_check.py [--out DIR] [--skip SECTION ...]   # writes DIR/gpu_check.json (default benchmarks/results)
"""
from __future__ import annotations
import argparse, json, os, sys, tempfile, time, platform, shutil, subprocess, warnings
from pathlib import Path
import torch, torch.nn.functional as F

def section(t): print(f"\n## {t}", flush=True)

def check_trainer(tmp):
    from waste_cbam.data import make_synthetic_data
    data = make_synthetic_data(tmp/'synth', n_per_class=300, size=80)
    exe = shutil.which('waste_cbam_train') or str(Path(sys.executable).parent/'waste_cbam_train')
    out = {}
    for n in sorted({1, torch.cuda.device_count()}):
        runs = tmp/f'runs{n}'
        def train(*extra):
            cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(n), '--no-python', exe,
                   str(data), '--preset', 'gpu', '--img_size', '64', '--batch_size', '64', '--epochs', '3', '--out_dir', str(runs),
                   '--name', 'gpu', '--quiet', *extra]
            t = time.time(); r = subprocess.run(cmd, capture_output=True, text=True); return r, time.time() - t
        r, secs = train('--epochs', '1')            # the first epoch ...
        (runs/'gpu'/'result.json').unlink(missing_ok=True)   # ... as if killed before the run was summarised ...
        r2, secs2 = train('--resume')               # ... and resumed to 3 epochs from last.pt
        res = json.loads((runs/'gpu'/'result.json').read_text()) if (runs/'gpu'/'result.json').exists() else {}
        cfg = json.loads((runs/'gpu'/'config.json').read_text()) if (runs/'gpu'/'config.json').exists() else {}
        out[f'{n} process(es)'] = dict(ok=r.returncode == 0 and r2.returncode == 0 and res.get('epochs_run') == 3,
                                      returncodes=[r.returncode, r2.returncode], seconds=[secs, secs2], status=res.get('status'),
                                      epochs_run=res.get('epochs_run'), best=res.get('best'), compile=cfg.get('compile'),
                                      cache=cfg.get('cache'), stderr_tail=(r.stderr + r2.stderr)[-1500:] if r2.returncode else '')
        print(n, {k: v for k, v in out[f'{n} process(es)'].items() if k != 'stderr_tail'}, flush=True)
    return out

def check_sync(tmp):
    from waste_cbam.data import make_synthetic_data
    from waste_cbam.trainer import preset, Trainer
    data = make_synthetic_data(tmp/'synth2', n_per_class=200, size=80)
    out = {}
    for bs in (32, 16):   # 2x the steps
        t = Trainer(preset('gpu', data=str(data), img_size=64, batch_size=bs, epochs=1, compile=None, out_dir=str(tmp/'sync'), name=f'b{bs}'), progress=False)
        t.train_epoch()   # warm-up (cuDNN autotuning, allocations)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter('always'); torch.cuda.set_sync_debug_mode('warn')
            try: t.train_epoch()
            finally: torch.cuda.set_sync_debug_mode(0)
        syncs = [str(x.message)[:120] for x in w if 'synchroniz' in str(x.message).lower()]
        out[f'batch {bs}'] = dict(steps=len(t.data.train), syncs=len(syncs), examples=syncs[:5])
        print(bs, out[f'batch {bs}']['steps'], 'steps,', len(syncs), 'synchronising calls', flush=True)
    return out

def bench_augment(dev):
    from waste_cbam.data import BatchAugment
    out = []
    for size, stored in ((96, 110), (224, 256)):
        aug = BatchAugment(size, train=True).to(dev)
        x = torch.randint(0, 256, (256, 3, stored, stored), dtype=torch.uint8, device=dev)
        for _ in range(3): aug(x)
        torch.cuda.synchronize(); t = time.perf_counter(); n = 20
        for _ in range(n): aug(x)
        torch.cuda.synchronize(); s = (time.perf_counter() - t) / n
        out.append(dict(size=size, batch=256, ms_per_batch=s * 1000, img_s=256 / s)); print(out[-1], flush=True)
    return out

def bench_train(dev, models, settings, size=224, steps=30):
    "Median training step of each model in each (batch, compiled) setting: images/s, peak memory, warm-up (compile) seconds."
    from waste_cbam.trainer import TrainConfig
    from waste_cbam.models import build_model
    rows = []
    for name, changes in models.items():
        for batch, comp in settings(name):
            torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
            m = build_model(TrainConfig(**changes), 2).to(dev, memory_format=torch.channels_last)
            opt = torch.optim.AdamW(m.parameters(), lr=1e-3, fused=True); scaler = torch.amp.GradScaler('cuda')
            run = torch.compile(m) if comp else m
            x = torch.randn(batch, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
            y = torch.randint(0, 2, (batch,), device=dev)
            def step():
                opt.zero_grad(set_to_none=True)
                with torch.autocast('cuda', dtype=torch.float16): loss = F.cross_entropy(run(x), y)
                scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
            t0 = time.perf_counter()
            try:
                for _ in range(5): step()
                torch.cuda.synchronize()
            except Exception as e:
                rows.append(dict(model=name, batch=batch, compiled=comp, error=f"{type(e).__name__}: {str(e)[:300]}")); print(rows[-1], flush=True); continue
            warm = time.perf_counter() - t0; ts = []
            for _ in range(steps):
                t = time.perf_counter(); step(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
            med = sorted(ts)[len(ts) // 2]
            rows.append(dict(model=name, size=size, batch=batch, compiled=comp, step_ms=med * 1000, train_img_s=batch / med,
                             peak_train_mib=torch.cuda.max_memory_allocated() / 2**20, warmup_s=warm))
            print(rows[-1], flush=True)
            del m, run, opt
    return rows

def targets(rows):
    "Issue #13's targets, read from the training table."
    r = {(x['model'], x['batch'], x['compiled']): x.get('train_img_s') for x in rows}
    best = lambda m, b: max(v for (mm, bb, c), v in r.items() if mm == m and bb == b and v)
    out = dict(cbam50_b256_img_s=best('cbam_resnet50', 256), cbam18_b256_img_s=best('cbam_resnet18', 256),
               cbam_over_plain_50_b256=best('cbam_resnet50', 256) / best('resnet50', 256))
    out |= dict(cbam50_ge_3000=out['cbam50_b256_img_s'] >= 3000, cbam18_ge_8000=out['cbam18_b256_img_s'] >= 8000,
                ratio_ge_070=out['cbam_over_plain_50_b256'] >= 0.70)
    print(out, flush=True)
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'), help='folder for gpu_check.json')
    ap.add_argument('--skip', nargs='*', default=[], help='sections not to run: trainer sync augment train infer')
    a = ap.parse_args()
    assert torch.cuda.is_available(), "no CUDA GPU here"
    dev = torch.device('cuda'); torch.backends.cudnn.benchmark = True
    res = dict(gpu=torch.cuda.get_device_name(0), gpus=torch.cuda.device_count(), torch=torch.__version__,
               python=platform.python_version(), date=time.strftime('%Y-%m-%dT%H:%M:%S'), command=' '.join(sys.argv))
    print(res, flush=True)
    tmp = Path(tempfile.mkdtemp())
    from waste_cbam.baselines import BASELINES, cost_table
    from waste_cbam.trainer import TrainConfig
    resnets = {k: v for k, v in BASELINES.items() if 'resnet' in k}
    models = {f'{k}18': v for k, v in resnets.items()} | {f'{k}50': dict(v, depth=50) for k, v in resnets.items()}
    steps = [('trainer', lambda: check_trainer(tmp)), ('sync', lambda: check_sync(tmp)), ('augment', lambda: bench_augment(dev)),
             # every model eager at 64 and 256 and compiled at 256; the ResNet-18s compiled at 64 too (where launches
             # dominate most); compiling each model once more at 64 would add minutes of compile time to the run
             ('train', lambda: bench_train(dev, models, lambda m: [(64, False), (256, False), (256, True)] + ([(64, True)] if '18' in m else []))),
             ('infer', lambda: cost_table(TrainConfig(), models, device='cuda', amp=True, repeats=50, batches=10).to_dict('records'))]
    for k, f in steps:
        if k in a.skip: continue
        section(k); t = time.time()
        try: res[k] = f()
        except Exception as e:
            import traceback; traceback.print_exc(); res[k] = f"FAILED: {type(e).__name__}: {e}"
        res[f'{k}_seconds'] = time.time() - t
        if k == 'train' and isinstance(res[k], list): res['targets'] = targets(res[k])
        print(f"({k}: {time.time() - t:.0f}s)", flush=True)
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out)/'gpu_check.json').write_text(json.dumps(res, indent=1, default=str))   # after each section: a cut run keeps what it measured

if __name__ == '__main__': main()
