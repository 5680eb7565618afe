"""What only a CUDA GPU can show, in one run: the CUDA code paths work, and what training and inference cost there.

1. (removed: the check of the CBAM gates' hand-written backward, which the package no longer has)
2. the Trainer end to end on CUDA (fp16 autocast with a GradScaler, and bf16), resume, evaluation, on generated images;
3. the GPU batch augmentation's throughput;
4. training step speed and peak memory per model at the researchers' 224 px, batch 32, fp16 autocast, channels_last
   (the "attention memory" question: how much more memory CBAM needs in training);
5. inference latency (batch 1), throughput (batch 64) and peak memory per model (`cost_table` of chapter 07).

    python benchmarks/gpu_check.py [--out DIR]      # writes DIR/gpu_check.json (default benchmarks/results) and prints tables
"""
from __future__ import annotations
import argparse, json, os, sys, tempfile, time, platform
from pathlib import Path
import torch, torch.nn.functional as F

def section(t): print(f"\n## {t}", flush=True)

class _StopAt:
    def __init__(self, n): self.n = n
    def after_epoch(self, t, row):
        from waste_cbam.trainer import StopTraining
        if row['epoch'] >= self.n: raise StopTraining()

def check_trainer(dev, tmp):
    from waste_cbam.data import make_synthetic_data
    from waste_cbam.trainer import preset, Trainer, load_model
    from waste_cbam.evaluation import evaluate
    d = make_synthetic_data(tmp/'synth', n_per_class=120, size=64)
    out = {}
    for amp_dtype in ('float16', 'bfloat16'):
        cfg = preset('smoke', data=str(d), img_size=64, epochs=4, limit=None, batch_size=32, amp_dtype=amp_dtype,
                     out_dir=str(tmp/'runs'), name=f'cuda-{amp_dtype}', lr=2e-3)
        t = Trainer(cfg, callbacks=[_StopAt(2)], progress=False); t.fit()   # "killed" after epoch 2
        (t.run_dir/'result.json').unlink()
        t2 = Trainer(cfg, progress=False); h = t2.fit(resume=True)       # resumes at epoch 2, trains 3 and 4
        ev = evaluate(t2.run_dir, 'test', device=dev.type, figures=False)
        out[amp_dtype] = dict(device=str(t2.device), scaler=t2.scaler.is_enabled(), epochs=len(h), resumed_from=t.epoch,
                              val_acc=float(h.val_acc.iloc[-1]), test_acc=ev.metrics['accuracy'],
                              s_per_epoch=float(h.epoch_time.mean()))
        print(amp_dtype, out[amp_dtype], flush=True)
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

def bench_train(dev, models, size=224, batch=32, steps=30):
    from waste_cbam.trainer import TrainConfig, build_model
    rows = []
    for name, changes in models.items():
        torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
        changes = dict(changes); comp = changes.pop('_compile', False)
        cfg = TrainConfig(**changes)
        m = build_model(cfg, 2).to(dev, memory_format=torch.channels_last)
        opt = torch.optim.AdamW(m.parameters(), lr=1e-3); scaler = torch.amp.GradScaler('cuda')
        t_compile = time.perf_counter()
        if comp: m = torch.compile(m)
        x = torch.randn(batch, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 2, (batch,), device=dev)
        base = torch.cuda.memory_allocated()
        def step():
            opt.zero_grad(set_to_none=True)
            with torch.autocast('cuda', dtype=torch.float16): loss = F.cross_entropy(m(x), y)
            scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
        try:
            for _ in range(5): step()
        except Exception as e:
            rows.append(dict(model=name, error=f"{type(e).__name__}: {str(e)[:300]}")); print(rows[-1], flush=True); continue
        t_compile = time.perf_counter() - t_compile
        torch.cuda.synchronize(); ts = []
        for _ in range(steps):
            t = time.perf_counter(); step(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
        ts.sort(); med = ts[len(ts) // 2]
        rows.append(dict(model=name, size=size, batch=batch, step_ms=med * 1000, train_img_s=batch / med,
                         peak_train_mib=torch.cuda.max_memory_allocated() / 2**20,
                         activations_mib=(torch.cuda.max_memory_allocated() - base) / 2**20,
                         warmup_s=t_compile))
        print(rows[-1], flush=True)
        del m, opt
    return rows

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--out', default=str(Path(__file__).parent/'results'), help='folder for gpu_check.json'); ap.add_argument('--skip', nargs='*', default=[])
    a = ap.parse_args()
    assert torch.cuda.is_available(), "no CUDA GPU here"
    dev = torch.device('cuda'); torch.backends.cudnn.benchmark = True
    res = dict(gpu=torch.cuda.get_device_name(0), torch=torch.__version__, python=platform.python_version())
    print(res, flush=True)
    tmp = Path(tempfile.mkdtemp())
    from waste_cbam.baselines import BASELINES, cost_table
    from waste_cbam.trainer import TrainConfig
    models = {f'{k}18' if 'resnet' in k else k: v for k, v in BASELINES.items()}
    models |= {f'{k}50': dict(v, depth=50) for k, v in BASELINES.items() if 'resnet' in k}
    # torch.compile
    extra = {'resnet18 compiled': dict(BASELINES['resnet'], _compile=True),
             'cbam_resnet18 compiled': dict(BASELINES['cbam_resnet'], _compile=True)}
    steps = [('trainer', lambda: check_trainer(dev, tmp)),
             ('augment', lambda: bench_augment(dev)),
             ('train_224_b32', lambda: bench_train(dev, models | extra, 224, 32)),
             ('train_224_b64', lambda: bench_train(dev, models, 224, 64)),
             ('infer_224', lambda: cost_table(TrainConfig(), models, device='cuda', amp=True, repeats=50,
                                              batches=10).to_dict('records'))]
    for k, f in steps:
        if k in a.skip: continue
        section(k); t = time.time()
        try: res[k] = f()
        except Exception as e:
            import traceback; traceback.print_exc(); res[k] = f"FAILED: {type(e).__name__}: {e}"
        print(f"({k}: {time.time() - t:.0f}s)", flush=True)
        Path(a.out).mkdir(parents=True, exist_ok=True)
        (Path(a.out)/'gpu_check.json').write_text(json.dumps(res, indent=1, default=str))

if __name__ == '__main__': main()
