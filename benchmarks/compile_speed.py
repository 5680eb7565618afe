"""Does torch.compile pay for a training run? Compile time against the time it saves per step, eager vs compiled.

Issue #13: measure compile time against the gain over a whole run, and decide defaults from the figures; on
the CPU too. One process builds the model the trainer builds (channels_last, the trainer's autocast: bf16 on
CPUs with native bf16, fp16 on CUDA), times the first compiled steps (compilation included) and then steady
steps of the eager and the compiled model in turns, on the same batch; it reports the seconds saved per
step, the steps needed to earn the compile time back, and what that means for an epoch of the real
training split (15,710 images) and for a whole run of the preset's epochs.

    python benchmarks/compile_speed.py                       # cpu preset's model and size, this machine
    python benchmarks/compile_speed.py --preset gpu --device cuda --batch 256
"""
from __future__ import annotations
import argparse, time, math
import torch, torch.nn.functional as F
from _record import Record, default_out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--preset', default='cpu'); ap.add_argument('--batch', type=int, default=None, help="default: the preset's")
    ap.add_argument('--img_size', type=int, default=None, help="default: the preset's")
    ap.add_argument('--mode', default='default', help='torch.compile mode')
    ap.add_argument('--steps', type=int, default=10, help='timed steady steps per path')
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    ap.add_argument('--train_images', type=int, default=15710, help='images in a training epoch')
    ap.add_argument('--out', default=default_out('compile_speed'))
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    from waste_cbam.trainer import preset, cpu_bf16_native
    from waste_cbam.models import build_model
    cfg = preset(a.preset)
    bs, size, dev = a.batch or cfg.batch_size, a.img_size or cfg.img_size, torch.device(a.device)
    amp = torch.float16 if dev.type == 'cuda' else (torch.bfloat16 if cpu_bf16_native() else None)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    with Record('compile_speed', a.out, __doc__.splitlines()[0]) as rec:
        torch.manual_seed(0)
        eager = build_model(cfg, 2).to(dev, memory_format=torch.channels_last)
        comp_src = build_model(cfg, 2).to(dev, memory_format=torch.channels_last); comp_src.load_state_dict(eager.state_dict())
        comp = torch.compile(comp_src, mode=a.mode)
        x = torch.randn(bs, 3, size, size, device=dev).contiguous(memory_format=torch.channels_last)
        y = torch.randint(0, 2, (bs,), device=dev)
        opts = {m: torch.optim.AdamW(p.parameters(), lr=1e-3) for m, p in (('eager', eager), ('compiled', comp_src))}
        def step(name, m):
            opts[name].zero_grad(set_to_none=True)
            with torch.autocast(dev.type, dtype=amp, enabled=amp is not None): loss = F.cross_entropy(m(x), y)
            loss.backward(); opts[name].step(); sync()
        t = time.perf_counter(); step('compiled', comp); first = time.perf_counter() - t     # compiles forward and backward
        t = time.perf_counter(); step('compiled', comp); second = time.perf_counter() - t
        step('eager', eager)
        times = {'eager': [], 'compiled': []}
        for i in range(a.steps):
            for name, m in ((('eager', eager), ('compiled', comp)) if i % 2 == 0 else (('compiled', comp), ('eager', eager))):
                t = time.perf_counter(); step(name, m); times[name].append(time.perf_counter() - t)
        med = {k: sorted(v)[len(v) // 2] for k, v in times.items()}
        saved = med['eager'] - med['compiled']
        compile_s = first - med['compiled']
        steps_epoch = a.train_images // bs
        breakeven = compile_s / saved if saved > 0 else math.inf
        run_saved = saved * steps_epoch * cfg.epochs - compile_s
        print(f"{cfg.arch} {cfg.attention} ResNet-{cfg.depth}, {size} px, batch {bs}, {dev.type}, autocast {amp}, mode {a.mode!r}, "
              f"{torch.get_num_threads()} threads")
        print(f"first compiled step {first:.1f} s (compilation included), second {second:.2f} s")
        print(f"steady step: eager {med['eager']:.3f} s, compiled {med['compiled']:.3f} s ({med['eager'] / med['compiled']:.2f}x)")
        print(f"compile time {compile_s:.1f} s; saved per step {saved * 1000:.1f} ms; break-even after "
              f"{breakeven:.0f} steps ({breakeven / steps_epoch:.2f} epochs of {a.train_images} images)")
        print(f"over the {a.preset} preset's {cfg.epochs} epochs: {run_saved / 60:+.1f} min "
              f"({'compiling pays' if run_saved > 0 else 'compiling does not pay'})")
        rec.save([dict(preset=a.preset, device=dev.type, img_size=size, batch=bs, mode=a.mode, amp=str(amp),
                       first_step_s=first, second_step_s=second, eager_step_s=med['eager'], compiled_step_s=med['compiled'],
                       speedup=med['eager'] / med['compiled'], compile_s=compile_s, breakeven_steps=breakeven,
                       steps_per_epoch=steps_epoch, epochs=cfg.epochs, run_saved_s=run_saved,
                       eager_samples=' '.join(f'{v:.4f}' for v in times['eager']),
                       compiled_samples=' '.join(f'{v:.4f}' for v in times['compiled']))],
                 model=f'{cfg.arch} depth {cfg.depth} attention {cfg.attention}')

if __name__ == '__main__': main()
